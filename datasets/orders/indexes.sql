-- Secondary indexes, built after loading (as a restore would).
CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at);
CREATE INDEX orders_status_idx ON orders (status);
SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders));
