-- Rename orders.note to comment in place: a catalog change under
-- AccessExclusiveLock, which every running query on orders delays, and which
-- every later query waits behind. The application must switch at the same
-- moment, which it cannot.
SET lock_timeout = '2s';
ALTER TABLE orders RENAME COLUMN note TO comment;
