-- pgbench: GET /api/v1/volunteers/me as services/volunteer runs it
-- (h_me_get), as stvs_volunteer; the user is one of the bench's token
-- holders u0..u1 (bench/seed.sql makes user i volunteer i), as with wrk.
-- The `-- @stmt` line is expanded from services/volunteer/sql.c by
-- bench/pgscripts.py on every run.
\set uid random(:u0, :u1)
-- @stmt volunteer volunteer_by_user :uid
SELECT v.id, v.real_name, u.phone, v.id_masked, v.gender, v.political_status, v.ethnicity, v.employer, v.title, v.education, v.occupation, (SELECT region_row.display FROM ref.regions region_row WHERE region_row.code = v.region_code) AS region, to_json(v.service_categories) AS service_categories, to_json(v.service_fields) AS service_fields, v.grassroots_role, v.skills, v.availability, activity.hours_of(v.id) AS service_hours, ref.rfc3339(v.created_at) AS created_at, ref.rfc3339(v.updated_at) AS updated_at, v.source, v.claim_status FROM volunteer.volunteers v JOIN auth.users u ON u.id = v.user_id WHERE v.user_id = :uid;
