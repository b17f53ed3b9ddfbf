ALTER TABLE orders ALTER COLUMN status SET (n_distinct = 3);
