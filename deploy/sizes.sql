-- Bytes per row of every table, indexes and TOAST included, for the sizing
-- arithmetic of docs/SCALING.md ("Sizes"). Read-only; run on any STVS
-- database (a bench one: bench/seed.sh; or production, for the real mix):
--   psql -X -d stvs -f deploy/sizes.sql
-- Run VACUUM ANALYZE first: reltuples is the planner's row count.
SELECT n.nspname || '.' || c.relname AS "table",
       c.reltuples::bigint AS "rows",
       pg_size_pretty(pg_relation_size(c.oid)) AS heap,
       pg_size_pretty(pg_indexes_size(c.oid)) AS indexes,
       pg_total_relation_size(c.oid) AS total_bytes,
       round(pg_total_relation_size(c.oid) / nullif(c.reltuples, 0)::numeric) AS bytes_per_row
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
ORDER BY pg_total_relation_size(c.oid) DESC;
SELECT pg_size_pretty(pg_database_size(current_database())) AS database_size;
