ALTER TABLE orders ADD COLUMN a integer, ADD COLUMN b text DEFAULT 'x';
