-- Revert shop:create_order_tags from pg
BEGIN;
DROP TABLE order_tags;
COMMIT;
