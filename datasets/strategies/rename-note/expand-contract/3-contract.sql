-- Deploy 2: the application reads comment only; drop the old column
-- (catalog only: the space is reclaimed as rows are rewritten).
SET lock_timeout = '2s';
ALTER TABLE orders DROP COLUMN note;
