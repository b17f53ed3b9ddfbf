BEGIN;
ALTER TABLE orders ADD COLUMN archived boolean;
UPDATE orders SET archived = false;
COMMIT;
