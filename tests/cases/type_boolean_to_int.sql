ALTER TABLE orders ALTER COLUMN flag TYPE integer USING flag::integer;
