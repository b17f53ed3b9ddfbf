ALTER TABLE orders ADD COLUMN score float8 DEFAULT random();
