-- pgbench: POST /api/v1/activities/{id}/signups as services/activity runs it
-- (h_signup_create: the one statement that finds the caller's volunteer,
-- signs up, and says why when it signs nobody up; the service asks again
-- (signup_refused) only when a concurrent sign-up refused it after the
-- statement's snapshot, which pgbench cannot tell: it reads a NULL as an
-- empty, malformed value), as
-- stvs_activity, autocommitted as in the service.
-- The pair (activity, volunteer): a token holder u0..u1 and an activity of
-- bench.signup_pool (recruiting, open to all, none of u0..u1 signed up when
-- the pool was drawn), the population wrk draws from. pgbench 15 ends a
-- client at its first error, so the pairs never repeat: transaction t of
-- the run takes pair permute(t) of the npool x ntok pairs (:n counts each
-- client's transactions, -D n=0). The sign-ups that wrk sees refused as
-- already_signed_up (a rolled-back statement, no commit) do not occur here;
-- bench/RESULTS.md shows both mixes. The pool lookup is not the endpoint's.
-- The `-- @stmt` lines are expanded from services/activity/sql.c by
-- bench/pgscripts.py on every run.
\set t :client_id + :n * :clients
\set n :n + 1
\set p permute(:t, :npool * :ntok, :pseed)
\set i 1 + :p % :npool
\set uid :u0 + :p / :npool
SELECT activity_id AS aid FROM bench.signup_pool WHERE n = :i \gset
-- @stmt activity signup :aid :uid | \aset sg_
WITH v AS (SELECT id, claim_status FROM volunteer.volunteers WHERE user_id = :uid), a AS (  UPDATE activity.activities a SET signed_up = signed_up + 1 FROM v  WHERE a.id = :aid AND v.claim_status IS DISTINCT FROM 'unclaimed'    AND a.cancelled_at IS NULL AND a.signed_up < a.capacity    AND now() >= a.signup_starts_at AND now() < a.signup_ends_at AND now() < a.ends_at    AND (NOT a.members_only OR EXISTS (SELECT 1 FROM org.members m WHERE m.org_id = a.org_id                                       AND m.volunteer_id = v.id AND m.status = 'active'))  RETURNING a.id, v.id AS volunteer_id), s AS (INSERT INTO activity.signups (activity_id, volunteer_id) SELECT id, volunteer_id FROM a       RETURNING activity_id, volunteer_id, status, ref.rfc3339(created_at) AS created_at) SELECT s.*, NULL::bigint AS volunteer, NULL::bool AS unclaimed, NULL::bool AS missing,        NULL::bool AS closed, NULL::bool AS signed, NULL::bool AS not_member, NULL::bool AS full FROM s UNION ALL SELECT NULL, NULL, NULL, NULL, v.id AS volunteer, v.claim_status = 'unclaimed' AS unclaimed, a.id IS NULL AS missing, a.cancelled_at IS NOT NULL OR now() >= a.ends_at OR now() < a.signup_starts_at   OR now() >= a.signup_ends_at AS closed, EXISTS (SELECT 1 FROM activity.signups s WHERE s.activity_id = a.id AND s.volunteer_id = v.id) AS signed, a.members_only AND NOT EXISTS (SELECT 1 FROM org.members m WHERE m.org_id = a.org_id                                AND m.volunteer_id = v.id AND m.status = 'active') AS not_member, a.signed_up >= a.capacity AS full FROM (SELECT) one LEFT JOIN v ON true LEFT JOIN activity.activities a ON a.id = :aid WHERE NOT EXISTS (SELECT 1 FROM s) \aset sg_
