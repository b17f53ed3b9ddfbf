ALTER TABLE orders ADD COLUMN label text DEFAULT label(1);
