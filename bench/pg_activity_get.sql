-- pgbench: GET /api/v1/activities/{id} as services/activity runs it
-- (h_activity_get), as stvs_activity; id uniform over the seeded ids 1..nact
-- (bench/seed.sql numbers them densely), the draw wrk makes too.
-- The `-- @stmt` line is expanded from services/activity/sql.c by
-- bench/pgscripts.py on every run.
\set id random(1, :nact)
-- @stmt activity activity_get :id
SELECT a.id, a.org_id, o.name AS org_name, a.title, a.description, a.service_category, to_json(a.themes) AS themes, a.region_code AS region, a.address, a.starts_at, a.ends_at, a.signup_starts_at, a.signup_ends_at, a.capacity, a.signed_up, activity.status_at(a.cancelled_at, a.starts_at, a.ends_at, a.signup_starts_at, a.signup_ends_at, now()) AS status, a.service_hours, a.contact_name, a.contact_phone, a.requirements, a.members_only, a.cancel_reason, a.created_at, a.updated_at, a.version FROM activity.activities a JOIN org.orgs o ON o.id = a.org_id WHERE a.id = :id;
