ALTER TABLE orders DROP CONSTRAINT orders_gift_note_length;
