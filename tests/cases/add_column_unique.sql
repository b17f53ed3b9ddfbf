ALTER TABLE orders ADD COLUMN external_id text UNIQUE;
