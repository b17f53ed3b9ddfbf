SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN gift_note text;
