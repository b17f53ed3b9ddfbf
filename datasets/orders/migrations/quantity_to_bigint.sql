-- Widen orders.quantity from integer to bigint. PostgreSQL rewrites the whole
-- table and rebuilds all three indexes under an AccessExclusiveLock.
ALTER TABLE orders ALTER COLUMN quantity TYPE bigint;
