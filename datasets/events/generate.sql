-- Rows $1..$2 of the events table. Deterministic for a fixed setseed().
-- account_id is log-uniform over 1..50,000 (account 1 has about 6 % of the
-- events, the top 100 accounts 43 %); a tenth of the payloads carry a
-- 2-5 kB blob and a twentieth of the bodies 3-8 kB of text, both
-- incompressible (hex digests), so they live in the TOAST table.
INSERT INTO events (id, account_id, kind, severity, source_ip, user_agent, session_id, payload, body, tags,
                    amount, score, region, flags, attempts, occurred_at, received_at, processed_at,
                    checksum, summary)
SELECT g,
       least(50000, floor(exp(random() * ln(50000)))::int),
       (ARRAY['page_view','page_view','page_view','page_view','click','click','api_call','login',
              'purchase','error'])[1 + floor(random() * random() * 10)::int],
       floor(random() * random() * random() * 8)::smallint,
       CASE WHEN random() < 0.9 THEN ('10.' || floor(random() * 256)::int || '.' || floor(random() * 256)::int
                                      || '.' || floor(random() * 256)::int)::inet END,
       CASE WHEN random() < 0.7 THEN 'Mozilla/5.0 (' || (ARRAY['X11; Linux x86_64','Macintosh','Windows NT 10.0',
                                      'iPhone'])[1 + floor(random() * 4)::int] || ') build/' || floor(random() * 900)::int END,
       md5(g::text || 'session')::uuid,
       jsonb_build_object('path', '/p/' || floor(random() * 5000)::int,
                          'ref', left(md5((g * 7)::text), 12),
                          'items', floor(random() * 12)::int,
                          'blob', CASE WHEN r < 0.10 THEN (SELECT string_agg(encode(sha512(int8send(g * 100 + i)), 'hex'), '')
                                                           FROM generate_series(1, 16 + floor(r * 240)::int) AS i) END),
       CASE WHEN r2 < 0.05 THEN (SELECT string_agg(encode(sha512(int8send(g * 300 + i)), 'hex'), ' ')
                                 FROM generate_series(1, 24 + floor(r2 * 800)::int) AS i)
            WHEN r2 < 0.60 THEN 'event ' || g || ' ' || left(md5((g * 3)::text), 20) END,
       (ARRAY(SELECT 't' || floor(random() * 40)::int FROM generate_series(1, floor(random() * 4)::int))),
       CASE WHEN random() < 0.3 THEN round((random() * random() * 2000)::numeric, 2) END,
       random() * 100,
       (ARRAY['us','us','us','eu','eu','ap','sa','af'])[1 + floor(random() * 8)::int],
       floor(random() * 16)::int,
       (1 + floor(random() * random() * 5))::smallint,
       ts,
       ts + random() * interval '30 seconds',
       CASE WHEN random() < 0.85 THEN ts + random() * interval '1 hour' END,
       decode(md5(g::text || 'sum'), 'hex'),
       CASE WHEN random() < 0.5 THEN left(md5((g * 11)::text) || md5((g * 13)::text), 10 + floor(random() * 54)::int) END
FROM (SELECT g, random() AS r, random() AS r2,
             timestamptz '2023-01-01 00:00:00+00' + (g::double precision / 200.0) * interval '1 second'
                 + random() * interval '10 minutes' AS ts
      FROM generate_series($1::bigint, $2::bigint) AS g) AS s
