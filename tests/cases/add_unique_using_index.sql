CREATE UNIQUE INDEX CONCURRENTLY orders_code_uidx ON orders (code);
ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE USING INDEX orders_code_uidx;
