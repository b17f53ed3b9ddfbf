-- After deploy 1, as a job: copy the existing notes, in batches by primary key.
-- migsim:same-deploy
-- migsim:backfill batch_size=5000 pause=50ms
UPDATE orders SET comment = note WHERE comment IS NULL AND note IS NOT NULL;
