-- What a list page costs to print (issue 15; bench/ANALYSIS.md, "Session 5").
-- to_char() made the six times of each row (four activity times, created_at,
-- updated_at) half of a list page's execution: 0.62 ms for a city's 20 rows
-- against 0.30 ms without them. PostgreSQL's JSON encoding of a timestamptz
-- is already RFC 3339 in the session time zone, fractions printed to the
-- microsecond without trailing zeros: the same text, checked equal to the
-- to_char() forms for 200,000 instants in [2000, 2100) under nine time zones
-- (tests/api/test_time_format.py keeps checking it). Both stay SQL functions
-- with no FROM, so the planner inlines them into every statement.
CREATE OR REPLACE FUNCTION ref.rfc3339(timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT to_json(date_trunc('second', $1)) #>> '{}'
$$;

CREATE OR REPLACE FUNCTION activity.rfc3339_exact(timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT to_json($1) #>> '{}'
$$;

-- Every sign-up rewrites its activity's row (signed_up), which clears the
-- page's bit in the visibility map; the list's counts and pages are
-- index-only scans of activities_province/city/region_starts only on pages
-- whose bit is set (else each entry costs a heap visit: a province's ended
-- count 1.9 ms against 10.5 ms). At the default scale factor (20%)
-- autovacuum would wait for 40,000 changed rows at 200k activities and
-- 400,000 at 2M; 1% keeps the map current. A vacuum of a table whose map is
-- mostly set reads only the changed pages.
ALTER TABLE activity.activities SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,
                                     autovacuum_vacuum_insert_scale_factor = 0.01);
