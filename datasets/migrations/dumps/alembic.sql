BEGIN;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> 1a2b3c4d5e6f

CREATE TABLE order_tags (
    id BIGSERIAL NOT NULL, 
    order_id BIGINT NOT NULL, 
    tag TEXT NOT NULL, 
    PRIMARY KEY (id)
);

INSERT INTO alembic_version (version_num) VALUES ('1a2b3c4d5e6f') RETURNING alembic_version.version_num;

-- Running upgrade 1a2b3c4d5e6f -> 2b3c4d5e6f7a

ALTER TABLE orders ADD COLUMN gift_note TEXT;

UPDATE alembic_version SET version_num='2b3c4d5e6f7a' WHERE alembic_version.version_num = '1a2b3c4d5e6f';

-- Running upgrade 2b3c4d5e6f7a -> 3c4d5e6f7a8b

ALTER TABLE orders ADD CONSTRAINT orders_gift_note_length CHECK (length(gift_note) <= 500) NOT VALID;

ALTER TABLE orders VALIDATE CONSTRAINT orders_gift_note_length;

UPDATE alembic_version SET version_num='3c4d5e6f7a8b' WHERE alembic_version.version_num = '2b3c4d5e6f7a';

COMMIT;

