INSERT INTO audit_log (id, message) SELECT id, note FROM orders;
