CREATE INDEX orders_lower_note_idx ON orders (lower(note)) WHERE status = 'new';
