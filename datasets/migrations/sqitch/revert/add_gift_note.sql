-- Revert shop:add_gift_note from pg
BEGIN;
SET lock_timeout = '2s';
ALTER TABLE orders DROP COLUMN gift_note;
COMMIT;
