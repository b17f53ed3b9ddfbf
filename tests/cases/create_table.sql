CREATE TABLE shipments (id bigint PRIMARY KEY, order_id bigint NOT NULL);
CREATE INDEX shipments_order_idx ON shipments (order_id);
ALTER TABLE shipments ADD COLUMN carrier text NOT NULL;
