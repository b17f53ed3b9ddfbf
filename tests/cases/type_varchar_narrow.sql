ALTER TABLE orders ALTER COLUMN code TYPE varchar(10);
