ALTER TABLE orders ADD COLUMN total numeric GENERATED ALWAYS AS (quantity * amount) STORED;
