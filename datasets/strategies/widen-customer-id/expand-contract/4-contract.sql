-- Deploy 2 (the application reads customer_id_new): prove NOT NULL without a
-- long lock (a validated CHECK lets SET NOT NULL skip its scan), then swap the
-- columns in one short transaction.
SET lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_customer_id_new_not_null CHECK (customer_id_new IS NOT NULL) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_new_not_null;
BEGIN;
ALTER TABLE orders ALTER COLUMN customer_id_new SET NOT NULL;
ALTER TABLE orders DROP CONSTRAINT orders_customer_id_new_not_null;
DROP TRIGGER orders_sync_customer_id ON orders;
ALTER TABLE orders DROP COLUMN customer_id;
ALTER TABLE orders RENAME COLUMN customer_id_new TO customer_id;
ALTER INDEX orders_customer_new_created_idx RENAME TO orders_customer_created_idx;
COMMIT;
DROP FUNCTION orders_sync_customer_id();
