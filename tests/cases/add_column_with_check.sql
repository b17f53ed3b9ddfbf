ALTER TABLE orders ADD COLUMN weight integer CHECK (weight > 0);
