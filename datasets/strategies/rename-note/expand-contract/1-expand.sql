-- Deploy 1: the new column (catalog only). The application writes both
-- columns from this deploy on and still reads note.
SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN comment text;
