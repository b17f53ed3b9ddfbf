-- Deploy 1: the new column, nullable and without a default (catalog only),
-- and a trigger that keeps it in step with every row written from now on.
SET lock_timeout = '2s';
BEGIN;
ALTER TABLE orders ADD COLUMN customer_id_new bigint;
CREATE OR REPLACE FUNCTION orders_sync_customer_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.customer_id_new := NEW.customer_id;
  RETURN NEW;
END
$$;
CREATE TRIGGER orders_sync_customer_id BEFORE INSERT OR UPDATE ON orders
  FOR EACH ROW EXECUTE FUNCTION orders_sync_customer_id();
COMMIT;
