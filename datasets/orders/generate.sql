-- Rows $1..$2 of the orders table. Deterministic for a fixed setseed().
-- About 30 % of notes are NULL and 1 % are long (~5 kB) enough to be TOASTed.
INSERT INTO orders (id, customer_id, status, quantity, unit_price, currency, note, metadata,
                    created_at, updated_at, shipped)
SELECT g,
       1 + floor(random() * 50000)::int,
       (ARRAY['pending','paid','paid','shipped','shipped','shipped','delivered','cancelled'])
           [1 + floor(random() * 8)::int],
       1 + floor(random() * random() * 20)::int,
       round((1 + random() * 499)::numeric, 2),
       (ARRAY['EUR','EUR','USD','GBP'])[1 + floor(random() * 4)::int],
       CASE WHEN r < 0.30 THEN NULL
            WHEN r < 0.31 THEN (SELECT string_agg(md5((g * 1000 + i)::text), ' ')
                                FROM generate_series(1, 150) AS i)
            ELSE 'order ' || g || ': ' || left(md5(g::text), 8 + floor(r * 24)::int) END,
       jsonb_build_object('channel', (ARRAY['web','ios','android','pos'])[1 + floor(random() * 4)::int],
                          'items', 1 + floor(random() * 6)::int,
                          'coupon', CASE WHEN random() < 0.1 THEN left(md5(g::text), 10) END),
       ts,
       CASE WHEN random() < 0.8 THEN ts + random() * interval '10 days' END,
       random() < 0.6
FROM (SELECT g, random() AS r, timestamptz '2022-01-01 00:00:00+00' + random() * interval '1000 days' AS ts
      FROM generate_series($1::bigint, $2::bigint) AS g) AS s
