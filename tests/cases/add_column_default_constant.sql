ALTER TABLE orders ADD COLUMN priority integer DEFAULT 0;
