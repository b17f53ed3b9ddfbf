-- Revert shop:check_gift_note from pg
SET lock_timeout = '2s';
ALTER TABLE orders DROP CONSTRAINT orders_gift_note_length;
