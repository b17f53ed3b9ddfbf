CREATE UNIQUE INDEX orders_code_idx ON orders (code);
