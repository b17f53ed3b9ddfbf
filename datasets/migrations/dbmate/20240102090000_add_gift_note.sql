-- migrate:up
SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN gift_note text;

-- migrate:down
ALTER TABLE orders DROP COLUMN gift_note;
