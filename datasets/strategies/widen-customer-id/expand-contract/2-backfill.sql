-- After deploy 1, as a job: copy the old values over, in batches by primary
-- key, pausing between batches so replication and autovacuum keep up.
-- migsim:same-deploy
-- migsim:backfill batch_size=5000 pause=50ms
UPDATE orders SET customer_id_new = customer_id WHERE customer_id_new IS NULL;
