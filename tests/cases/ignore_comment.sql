SET lock_timeout = '2s';
-- migsim:ignore create-index-not-concurrently
CREATE INDEX orders_customer_idx ON orders (customer_id);
ALTER TABLE orders DROP COLUMN flag; -- migsim:ignore drop-column
