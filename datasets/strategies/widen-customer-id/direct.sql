-- Widen orders.customer_id to bigint in one statement: PostgreSQL rewrites the
-- table and rebuilds its indexes under AccessExclusiveLock, so nothing reads
-- or writes orders until it commits.
SET lock_timeout = '2s';
ALTER TABLE orders ALTER COLUMN customer_id TYPE bigint;
