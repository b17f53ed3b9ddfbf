ALTER TABLE orders ALTER COLUMN created_at TYPE timestamptz;
