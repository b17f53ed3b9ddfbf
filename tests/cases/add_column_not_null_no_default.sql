ALTER TABLE audit_log ADD COLUMN level integer NOT NULL;
