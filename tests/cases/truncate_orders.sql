SET lock_timeout = '1s';
TRUNCATE orders;
