ALTER TABLE audit_log ADD COLUMN n bigserial;
