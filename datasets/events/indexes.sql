-- Six secondary indexes, built after loading (as a restore would): in the
-- heap's order (occurred_at), out of it (account, kind), an expression, a
-- partial index and a text index.
CREATE INDEX events_account_occurred_idx ON events (account_id, occurred_at);
CREATE INDEX events_occurred_idx ON events (occurred_at);
CREATE INDEX events_kind_severity_idx ON events (kind, severity);
CREATE INDEX events_session_idx ON events (session_id);
CREATE INDEX events_unprocessed_idx ON events (received_at) WHERE processed_at IS NULL;
CREATE INDEX events_lower_agent_idx ON events (lower(user_agent));
SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT max(id) FROM events));
