MERGE INTO customers c USING (SELECT 501 AS id, 'x@example.com' AS email) s ON c.id = s.id
WHEN NOT MATCHED THEN INSERT (id, email) VALUES (s.id, s.email);
