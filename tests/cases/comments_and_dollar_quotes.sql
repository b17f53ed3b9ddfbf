/* expand */
CREATE FUNCTION note_len(t text) RETURNS integer LANGUAGE sql IMMUTABLE AS $fn$ SELECT length(t); -- not a statement end
$fn$;
-- then use it
ALTER TABLE orders ADD COLUMN note_len integer DEFAULT note_len('abc');
