SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN region text;
ALTER TABLE orders ALTER COLUMN region SET DEFAULT 'eu';
UPDATE orders SET region = 'eu' WHERE id BETWEEN 1 AND 1000;
ALTER TABLE orders ADD CONSTRAINT region_nn CHECK (region IS NOT NULL) NOT VALID;
