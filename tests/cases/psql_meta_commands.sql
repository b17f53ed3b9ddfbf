\set ON_ERROR_STOP on
SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN gift boolean DEFAULT false;
