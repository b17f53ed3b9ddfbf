ALTER TABLE orders ADD COLUMN stamped_at timestamptz DEFAULT clock_timestamp();
