-- Issue 15 (the list's SQL ceiling): a status as conditions on the columns.
--
-- activity.status_at() stays the one definition of an activity's status
-- (migration 005): the answers print it, and the list filtered on it,
-- status_at(...) = $1, a CASE evaluated and its text compared on every index
-- entry a count walked (a province's ended: 10,001 entries). has_status() says
-- the same thing for one status as plain conditions: called with the status as
-- a literal (services/activity/sql.c), the planner inlines it and keeps only
-- that status's arm, which is cheaper to test on an entry and names the
-- columns the indexes order by. Each arm is status_at's CASE solved for its
-- status, with no help from the table's CHECK constraints;
-- tests/api/test_status_conditions.py holds every arm to status_at over
-- every ordering of the five times around the clock.
CREATE FUNCTION activity.has_status(status text, cancelled_at timestamptz, starts_at timestamptz,
                                    ends_at timestamptz, signup_starts_at timestamptz,
                                    signup_ends_at timestamptz, at timestamptz)
    RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE status
        WHEN 'cancelled' THEN cancelled_at IS NOT NULL
        WHEN 'ended' THEN cancelled_at IS NULL AND ends_at <= at
        WHEN 'ongoing' THEN cancelled_at IS NULL AND ends_at > at AND starts_at <= at
        WHEN 'recruiting' THEN cancelled_at IS NULL AND ends_at > at AND starts_at > at
                               AND signup_starts_at <= at AND signup_ends_at > at
        WHEN 'signup_closed' THEN cancelled_at IS NULL AND ends_at > at AND starts_at > at AND signup_ends_at <= at
        WHEN 'upcoming' THEN cancelled_at IS NULL AND ends_at > at AND starts_at > at
                             AND signup_starts_at > at AND signup_ends_at > at
        ELSE false
    END;

-- The services print the activity view's times from PostgreSQL's own text
-- of a timestamptz (common/datetime.c, rfc3339_from_pg), which DateStyle
-- shapes: their login roles say ISO, as they say TimeZone (migration 013),
-- and common/db.c refuses a session in any other style. MDY is the default's
-- order for input, unchanged (the services send unambiguous UTC times).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['stvs_auth', 'stvs_volunteer', 'stvs_org', 'stvs_activity', 'stvs_import', 'stvs_stats']
    LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('ALTER ROLE %I IN DATABASE %I SET DateStyle = %L', r, current_database(), 'ISO, MDY');
        END IF;
    END LOOP;
END $$;
