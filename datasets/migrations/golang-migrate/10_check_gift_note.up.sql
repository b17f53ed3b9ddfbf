SET lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_gift_note_length CHECK (length(gift_note) <= 500) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_gift_note_length;
