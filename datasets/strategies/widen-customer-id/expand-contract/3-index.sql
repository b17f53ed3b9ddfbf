-- Still after deploy 1: the index the old column had, built without
-- blocking writes.
-- migsim:same-deploy
CREATE INDEX CONCURRENTLY orders_customer_new_created_idx ON orders (customer_id_new, created_at);
