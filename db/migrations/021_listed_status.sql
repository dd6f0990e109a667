-- An activity's status kept on its row, for the list's indexes (issue 15;
-- docs/query-plans.md, "session 8"). Five of the six statuses move with the
-- clock: has_status() (migration 019) states one as conditions on two or
-- three time columns, and no B-tree orders a region's activities by
-- starts_at and answers such a window too, so a province's recruiting page
-- and count walked every entry of the province still to start and kept one
-- in ten (95,228 thrown away at 2M activities; country-wide, 683,349).
--
-- Each row keeps the status it had when written (listed_status) and the
-- instants between which that status holds: status_at() is that status for
-- every moment in [listed_since, listed_until), by the CASE solved for each
-- status (status_since, status_until; tests/api/test_status_conditions.py
-- holds them to status_at over every ordering of the times). So a row
-- whose window holds now() is in its listed status, exactly; the list reads
-- those from indexes on (region, listed_status, starts_at), and asks the
-- few whose window has passed (not refreshed yet) with has_status(), from
-- the indexes on the window's ends (services/activity/sql.c). The answer is
-- exact whether or not the refresh has run; the refresh
-- (activity.refresh_listed(), run by the activity service every 15
-- seconds) keeps the second set small.
CREATE FUNCTION activity.status_since(cancelled_at timestamptz, starts_at timestamptz, ends_at timestamptz,
                                      signup_starts_at timestamptz, signup_ends_at timestamptz, at timestamptz)
    RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE activity.status_at(cancelled_at, starts_at, ends_at, signup_starts_at, signup_ends_at, at)
        WHEN 'cancelled' THEN '-infinity'
        WHEN 'ended' THEN ends_at
        WHEN 'ongoing' THEN starts_at
        WHEN 'recruiting' THEN signup_starts_at
        WHEN 'signup_closed' THEN signup_ends_at
        ELSE '-infinity' -- upcoming
    END;

CREATE FUNCTION activity.status_until(cancelled_at timestamptz, starts_at timestamptz, ends_at timestamptz,
                                      signup_starts_at timestamptz, signup_ends_at timestamptz, at timestamptz)
    RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE activity.status_at(cancelled_at, starts_at, ends_at, signup_starts_at, signup_ends_at, at)
        WHEN 'cancelled' THEN 'infinity'
        WHEN 'ended' THEN 'infinity'
        WHEN 'ongoing' THEN ends_at
        WHEN 'recruiting' THEN least(starts_at, ends_at, signup_ends_at)
        WHEN 'signup_closed' THEN least(starts_at, ends_at)
        ELSE least(starts_at, ends_at, signup_starts_at, signup_ends_at) -- upcoming
    END;

-- The three a row keeps, at `at`: its status and the window it holds in.
CREATE FUNCTION activity.listed(cancelled_at timestamptz, starts_at timestamptz, ends_at timestamptz,
                                signup_starts_at timestamptz, signup_ends_at timestamptz, at timestamptz,
                                OUT status text, OUT since timestamptz, OUT until timestamptz)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (activity.status_at(cancelled_at, starts_at, ends_at, signup_starts_at, signup_ends_at, at),
            activity.status_since(cancelled_at, starts_at, ends_at, signup_starts_at, signup_ends_at, at),
            activity.status_until(cancelled_at, starts_at, ends_at, signup_starts_at, signup_ends_at, at));

-- A row nobody listed (a load with the triggers off) is due a refresh: its
-- window is empty, so the list tests it with has_status() until then.
ALTER TABLE activity.activities ADD COLUMN listed_status text NOT NULL DEFAULT 'unlisted',
    ADD COLUMN listed_since timestamptz NOT NULL DEFAULT '-infinity',
    ADD COLUMN listed_until timestamptz NOT NULL DEFAULT '-infinity';

-- Written with every insert and every change of the times it reads.
CREATE FUNCTION activity.set_listed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT l.status, l.since, l.until INTO NEW.listed_status, NEW.listed_since, NEW.listed_until
      FROM activity.listed(NEW.cancelled_at, NEW.starts_at, NEW.ends_at, NEW.signup_starts_at, NEW.signup_ends_at,
                           now()) l;
    RETURN NEW;
END
$$;

CREATE TRIGGER activities_listed
    BEFORE INSERT OR UPDATE OF cancelled_at, starts_at, ends_at, signup_starts_at, signup_ends_at
    ON activity.activities FOR EACH ROW EXECUTE FUNCTION activity.set_listed();

-- The refresh is no change of the activity: its version (the ETag) stays.
CREATE OR REPLACE FUNCTION activity.bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('activity.refreshing_listed', true) = 'on' THEN
        RETURN NEW;
    END IF;
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;

-- Rows whose listed window no longer holds now(), at most `batch` of them,
-- listed again; rows another transaction holds are left for the next run.
-- Answers how many; 0 on a standby (a read pool's process), which the
-- primary's processes serve, and 0 while another process refreshes (an
-- advisory lock of class 21, not waited for: every activity process runs it).
CREATE FUNCTION activity.refresh_listed(batch integer DEFAULT 1000) RETURNS integer
    LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    IF pg_is_in_recovery() OR NOT pg_try_advisory_xact_lock(21, 0) THEN
        RETURN 0;
    END IF;
    PERFORM set_config('activity.refreshing_listed', 'on', true);
    UPDATE activity.activities a
       SET (listed_status, listed_since, listed_until) =
           (SELECT l.status, l.since, l.until
              FROM activity.listed(a.cancelled_at, a.starts_at, a.ends_at, a.signup_starts_at, a.signup_ends_at,
                                   now()) l)
     WHERE a.id IN (SELECT s.id FROM activity.activities s
                     WHERE s.listed_until <= now() OR s.listed_since > now()
                     LIMIT batch FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM set_config('activity.refreshing_listed', 'off', true);
    RETURN n;
END
$$;

-- Every row so far: due (the columns' defaults), listed by the refresh
-- itself, which leaves the versions (the ETags) as they are (PERFORM: no
-- result table in make run's output).
DO $$ BEGIN PERFORM activity.refresh_listed(2147483647); END $$;

-- The rows in their listed status, each level in starts_at order (the
-- window's ends included: the list tests them on the entry). region_code is
-- included in the prefix ones for index-only scans (migration 020).
CREATE INDEX activities_listed_starts ON activity.activities (listed_status, starts_at, id)
    INCLUDE (listed_since, listed_until);
CREATE INDEX activities_listed_province_starts ON activity.activities ((left(region_code, 2)), listed_status, starts_at, id)
    INCLUDE (listed_since, listed_until, region_code);
CREATE INDEX activities_listed_city_starts ON activity.activities ((left(region_code, 4)), listed_status, starts_at, id)
    INCLUDE (listed_since, listed_until, region_code);
CREATE INDEX activities_listed_region_starts ON activity.activities (region_code, listed_status, starts_at, id)
    INCLUDE (listed_since, listed_until);
-- The rows whose window no longer holds now(): few, the refresh's and the list's.
CREATE INDEX activities_listed_until ON activity.activities (listed_until);
CREATE INDEX activities_listed_since ON activity.activities (listed_since);
