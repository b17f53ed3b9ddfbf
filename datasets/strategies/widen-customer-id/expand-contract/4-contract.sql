-- Deploy 4: prove NOT NULL without a long lock (a validated CHECK lets SET NOT
-- NULL skip its scan), then swap the columns in one short transaction.
SET lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_customer_id_new_not_null CHECK (customer_id_new IS NOT NULL) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_new_not_null;
BEGIN;
ALTER TABLE orders ALTER COLUMN customer_id_new SET NOT NULL;
ALTER TABLE orders DROP CONSTRAINT orders_customer_id_new_not_null;
ALTER TABLE orders DROP COLUMN customer_id;
ALTER TABLE orders RENAME COLUMN customer_id_new TO customer_id;
COMMIT;
