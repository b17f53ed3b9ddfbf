ALTER TABLE orders ALTER COLUMN code TYPE integer USING length(code);
