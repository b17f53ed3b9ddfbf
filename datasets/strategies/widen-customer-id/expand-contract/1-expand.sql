-- Deploy 1: the new column, nullable and without a default (catalog only).
-- The application writes both columns from this deploy on.
SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN customer_id_new bigint;
