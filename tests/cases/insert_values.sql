INSERT INTO audit_log (id, message) VALUES (1, 'hello');
