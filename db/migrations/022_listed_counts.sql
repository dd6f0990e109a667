-- The list's count of a region and a status, kept (issue 15; bench/ANALYSIS.md,
-- "Session 10"). GET /activities?region=&status= counted every matching
-- index entry up to the cap (10,001): a province's ended or upcoming
-- activities are thousands of entries, 4-5 ms of a request whose page takes
-- a fraction of that, a third of the list's SQL in pgbench.
--
-- A row's listed status (migration 021) is kept in a column, so its count
-- can be kept too: activity.listed_counts holds, for every region at each
-- level (the country '000000', the province, the city, the county: the
-- codes of activity.rollup) and every listed status, how many activities
-- are listed so, written by the triggers below in the same transactions as
-- the rows. The list's count of a status in a region is then that number,
-- less the rows listed so whose window has passed and plus the rows due a
-- refresh that are in the status now (the few the list already tests one
-- by one; services/activity/sql.c, list_count): exact, as the rows are.
--
-- A row nobody listed (listed_status 'unlisted', a load with the triggers
-- off) is counted by nobody; the refresh lists it, and the trigger counts
-- it then. A row removed with the triggers off stays counted:
-- activity.rebuild_listed_counts() counts every row again (a bulk load
-- calls it, as bench/seed.sql does).
--
-- The stripe (1..16) is the writing transaction's own (ref.writer_stripe),
-- as stats.counts' is (migration 012): concurrent writers (a refresh of a thousand rows and an
-- org publishing) never wait for, nor deadlock on, one another's counter
-- rows. The count sums at most 17 rows a (region, status).
CREATE TABLE activity.listed_counts (
    region_code   text NOT NULL,
    listed_status text NOT NULL,
    stripe        smallint NOT NULL,
    n             bigint NOT NULL,
    PRIMARY KEY (region_code, listed_status, stripe)
);

-- The codes a row of region `code` is counted in: the country, its
-- province, its city, itself (each once), the prefixes the list's region
-- forms filter on (left(region_code, 2), left(region_code, 4), the code).
CREATE FUNCTION activity.rollup(code text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(SELECT DISTINCT c FROM unnest(ARRAY['000000', left(code, 2) || '0000', left(code, 4) || '00', code]) c
                  ORDER BY c);

-- The writing transaction's stripe (1..16) among those of advisory lock
-- class `lock_class`: one that no other transaction in flight holds (a lock
-- per stripe, held until commit, taken without waiting); re-entrant; shared
-- only when all 16 are taken. stats.stripe() (migration 012, class 12) is
-- this function now; the list's counts take class 22.
CREATE FUNCTION ref.writer_stripe(lock_class integer) RETURNS smallint
    LANGUAGE plpgsql AS $$
DECLARE
    base integer := pg_backend_pid() % 16;
BEGIN
    FOR i IN 0..15 LOOP
        IF pg_try_advisory_xact_lock(lock_class, (base + i) % 16) THEN
            RETURN 1 + (base + i) % 16;
        END IF;
    END LOOP;
    RETURN 1 + base;
END $$;

CREATE OR REPLACE FUNCTION stats.stripe() RETURNS smallint
    LANGUAGE sql RETURN ref.writer_stripe(12);

-- Adds `delta` to the count of `status` in every code of `code`'s rollup.
CREATE FUNCTION activity.count_listed_add(code text, status text, delta integer) RETURNS void
    LANGUAGE sql AS $$
    INSERT INTO activity.listed_counts AS c (region_code, listed_status, stripe, n)
    SELECT r, status, s.stripe, delta FROM ref.writer_stripe(22) s(stripe), unnest(activity.rollup(code)) r
    ON CONFLICT ON CONSTRAINT listed_counts_pkey DO UPDATE SET n = c.n + EXCLUDED.n
$$;

CREATE FUNCTION activity.count_listed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.listed_status <> 'unlisted' THEN
        PERFORM activity.count_listed_add(OLD.region_code, OLD.listed_status, -1);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.listed_status <> 'unlisted' THEN
        PERFORM activity.count_listed_add(NEW.region_code, NEW.listed_status, 1);
    END IF;
    RETURN NULL;
END
$$;

-- AFTER, so that the count reads what activities_listed (BEFORE) wrote; no
-- column list on the update, which would miss a listed status that trigger
-- changed (the refresh's and a time edit's), and the WHEN spares every
-- other update (a sign-up's) the call.
CREATE TRIGGER activities_listed_count AFTER INSERT OR DELETE ON activity.activities
    FOR EACH ROW EXECUTE FUNCTION activity.count_listed();
CREATE TRIGGER activities_listed_count_update AFTER UPDATE ON activity.activities
    FOR EACH ROW WHEN (OLD.listed_status IS DISTINCT FROM NEW.listed_status
                       OR OLD.region_code IS DISTINCT FROM NEW.region_code)
    EXECUTE FUNCTION activity.count_listed();

-- Every row counted again, in stripe 0. The table lock first: a writer
-- that already added to a counter commits before the count reads the rows
-- (each statement here its own snapshot), one that has not waits and adds
-- its own after.
CREATE FUNCTION activity.rebuild_listed_counts() RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE activity.listed_counts IN EXCLUSIVE MODE;
    DELETE FROM activity.listed_counts;
    INSERT INTO activity.listed_counts (region_code, listed_status, stripe, n)
    SELECT r, a.listed_status, 0, count(*)
      FROM activity.activities a CROSS JOIN LATERAL unnest(activity.rollup(a.region_code)) r
     WHERE a.listed_status <> 'unlisted'
     GROUP BY r, a.listed_status;
END
$$;

DO $$ BEGIN PERFORM activity.rebuild_listed_counts(); END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON activity.listed_counts TO stvs_activity;
