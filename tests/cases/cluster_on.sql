ALTER TABLE orders CLUSTER ON orders_status_idx;
