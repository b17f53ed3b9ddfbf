SET lock_timeout = '3s';
SET statement_timeout = '10min';
ALTER TABLE orders ALTER COLUMN quantity TYPE bigint;
