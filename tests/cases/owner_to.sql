ALTER TABLE orders OWNER TO postgres;
