-- A sign-up's cost to the statistics (issue 12: sign-up throughput may drop
-- at most 10%). 012 counted each sign-up through stats.on_activity(): a
-- SECURITY DEFINER plpgsql trigger with its own search_path, an advisory lock
-- to pick a stripe, and an upsert of a delta row (measured: +22-33% of the
-- sign-up statement's backend CPU, docs/stats.md). A sign-up now costs one
-- narrow trigger that appends one row to a log with no index and no key:
-- nothing to look up, no row two writers share, no lock beyond the insert.
-- stats.fold_participants() moves the log into stats.counts (stripe 0, every
-- level) and deletes it in one transaction, and every read of participants
-- adds the log rows of its range in the same snapshot, so answers stay exact.
CREATE TABLE stats.participant_log (
    region_code  text NOT NULL,    -- the activity's own region (a county)
    month        date NOT NULL,    -- stats.month_of(the activity's start)
    participants integer NOT NULL  -- +1 a sign-up, -1 a withdrawal
);
ALTER TABLE stats.participant_log OWNER TO stvs_stats_owner;
INSERT INTO stats.participant_log SELECT region_code, month, participants FROM stats.participant_deltas;
DROP TABLE stats.participant_deltas;

-- The sign-up path: signed_up moved while nothing else the summaries read
-- did (any other change of those columns still goes through
-- stats.on_activity(), which recounts the activity's parts, signed_up with
-- them). SECURITY INVOKER and every name qualified: a definer function's
-- own search_path costs a GUC change on every call. The writer's role needs
-- INSERT on the log (granted below), which gives it nothing it did not
-- have: it can already set signed_up.
CREATE FUNCTION stats.on_signed_up() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats.participant_log (region_code, month, participants)
    VALUES (NEW.region_code, stats.month_of(NEW.starts_at), NEW.signed_up - OLD.signed_up);
    RETURN NULL;
END $$;
CREATE TRIGGER activities_stats_signups AFTER UPDATE OF signed_up ON activity.activities
    FOR EACH ROW WHEN (OLD.signed_up IS DISTINCT FROM NEW.signed_up AND NEW.cancelled_at IS NULL
                       AND OLD.cancelled_at IS NULL AND OLD.region_code = NEW.region_code
                       AND OLD.starts_at = NEW.starts_at AND OLD.ends_at = NEW.ends_at
                       AND OLD.signup_starts_at = NEW.signup_starts_at AND OLD.signup_ends_at = NEW.signup_ends_at)
    EXECUTE FUNCTION stats.on_signed_up();

-- stats.on_activity() no longer sees a change of signed_up alone (above); a
-- change of signed_up with the columns it reads (and of a cancelled
-- activity's signed_up, which counts nowhere) goes through it as before.
DROP TRIGGER activities_stats_update ON activity.activities;
CREATE TRIGGER activities_stats_update
    AFTER UPDATE OF region_code, starts_at, ends_at, signup_starts_at, signup_ends_at, cancelled_at, signed_up
    ON activity.activities
    FOR EACH ROW WHEN (OLD.region_code IS DISTINCT FROM NEW.region_code OR OLD.starts_at IS DISTINCT FROM NEW.starts_at
                       OR OLD.ends_at IS DISTINCT FROM NEW.ends_at
                       OR OLD.signup_starts_at IS DISTINCT FROM NEW.signup_starts_at
                       OR OLD.signup_ends_at IS DISTINCT FROM NEW.signup_ends_at
                       OR (OLD.cancelled_at IS NULL) IS DISTINCT FROM (NEW.cancelled_at IS NULL))
    EXECUTE FUNCTION stats.on_activity();

CREATE OR REPLACE FUNCTION stats.on_activity() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h numeric := 0;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        SELECT coalesce(sum(r.hours), 0) INTO h FROM activity.service_records r WHERE r.activity_id = OLD.id;
    END IF;
    PERFORM stats.apply(ARRAY(
        SELECT p FROM stats.activity_parts(OLD, h, -1) p WHERE TG_OP <> 'INSERT'
        UNION ALL
        SELECT p FROM stats.activity_parts(NEW, h, 1) p WHERE TG_OP <> 'DELETE'));
    IF TG_OP = 'UPDATE' AND OLD.org_id = NEW.org_id AND stats.quarter_of(OLD.starts_at) = stats.quarter_of(NEW.starts_at)
       AND (OLD.cancelled_at IS NULL) = (NEW.cancelled_at IS NULL) THEN
        RETURN NULL; -- the org's quarter did not change
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.cancelled_at IS NULL THEN
        PERFORM stats.org_activity_moved(OLD.org_id, stats.quarter_of(OLD.starts_at), -1);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.cancelled_at IS NULL THEN
        PERFORM stats.org_activity_moved(NEW.org_id, stats.quarter_of(NEW.starts_at), 1);
    END IF;
    RETURN NULL;
END $$;

-- Moves at most `batch` log rows into stats.counts at every level (stripe 0)
-- and deletes them, in one transaction; returns how many log rows it moved
-- (the caller repeats while a batch was full). One folder at a time (a
-- transaction advisory lock, not waited for: another process is folding),
-- so two folders never lock each other's rows in a different order.
DROP FUNCTION stats.fold_participants();
CREATE FUNCTION stats.fold_participants(batch integer DEFAULT 50000) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n integer;
BEGIN
    IF NOT pg_try_advisory_xact_lock(12, -1) THEN
        RETURN 0;
    END IF;
    WITH moved AS (DELETE FROM stats.participant_log l
                    WHERE l.ctid = ANY (ARRAY(SELECT ctid FROM stats.participant_log LIMIT batch))
                    RETURNING l.region_code, l.month, l.participants),
         counted AS (SELECT count(*) AS n FROM moved),
         added AS (
            INSERT INTO stats.counts AS c (region_code, month, stripe, participants)
            SELECT r, m.month, 0, sum(m.participants)
              FROM moved m CROSS JOIN LATERAL unnest(stats.rollup(m.region_code)) r
             GROUP BY r, m.month HAVING sum(m.participants) <> 0
             ORDER BY 1, 2
            ON CONFLICT (region_code, month, stripe) DO UPDATE SET participants = c.participants + EXCLUDED.participants)
    SELECT counted.n INTO n FROM counted;
    RETURN n;
END $$;
ALTER FUNCTION stats.fold_participants(integer) OWNER TO stvs_stats_owner;
REVOKE EXECUTE ON FUNCTION stats.fold_participants(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stats.fold_participants(integer) TO stvs_stats;

-- rebuild() (012) starts by emptying the old delta table: the same function,
-- emptying the log instead (its body is 012's but for that one statement).
DO $$
DECLARE
    def text := pg_get_functiondef('stats.rebuild()'::regprocedure);
BEGIN
    IF position('DELETE FROM stats.participant_deltas;' IN def) = 0 THEN
        RAISE 'stats.rebuild() is not the function 012 made';
    END IF;
    EXECUTE replace(def, 'DELETE FROM stats.participant_deltas;', 'DELETE FROM stats.participant_log;');
END $$;

GRANT USAGE ON SCHEMA stats TO stvs_activity;
GRANT INSERT ON stats.participant_log TO stvs_activity;
GRANT SELECT, DELETE ON stats.participant_log TO stvs_stats_owner;
GRANT SELECT ON stats.participant_log TO stvs_stats;
