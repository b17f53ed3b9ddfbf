-- Deploy shop:add_gift_note to pg
BEGIN;
SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN gift_note text;
COMMIT;
