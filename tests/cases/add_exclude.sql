ALTER TABLE orders ADD CONSTRAINT no_dup_code EXCLUDE USING btree (code WITH =);
