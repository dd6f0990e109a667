-- Statistics for 科协 staff (issue 12, API.md "Statistics for 科协 staff";
-- docs/stats.md explains the design). Summaries per region and month
-- (Asia/Shanghai) kept exact by triggers in the same transactions as the
-- writes, so every answer counts every committed write and reads a few
-- hundred summary rows instead of millions of base rows.
--
-- Roles: stvs_stats logs in and may only SELECT (it can later read a
-- standby); stvs_stats_owner (NOLOGIN) owns the SECURITY DEFINER functions
-- that write the summaries (the triggers, whatever service role fires them)
-- and the targets (stats.set_target, the stats service's one write).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'stvs_stats') THEN
        CREATE ROLE stvs_stats LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'stvs_stats_owner') THEN
        CREATE ROLE stvs_stats_owner NOLOGIN;
    END IF;
END $$;

CREATE SCHEMA stats;

-- The month (its first day) of an instant, in China.
CREATE FUNCTION stats.month_of(at timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN date_trunc('month', at AT TIME ZONE 'Asia/Shanghai')::date;

-- The first instant of a month (a date on its first day), in China.
CREATE FUNCTION stats.month_start(month date) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN month::timestamp AT TIME ZONE 'Asia/Shanghai';

-- The codes a record of region `code` counts in: itself, its city, its
-- province and the country (GB/T 2260 prefixes, ref.regions' structure
-- check), sorted so that every writer locks summary rows in one order.
-- One expression (no subquery), so that the planner inlines it.
CREATE FUNCTION stats.rollup(code text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN right(code, 2) <> '00' THEN ARRAY['000000', left(code, 2) || '0000', left(code, 4) || '00', code]
                WHEN right(code, 4) <> '0000' THEN ARRAY['000000', left(code, 2) || '0000', code]
                WHEN code <> '000000' THEN ARRAY['000000', code]
                ELSE ARRAY['000000'] END;

-- One row per (region at each level, month, stripe). The month is the
-- record's own: a volunteer's or an org's created_at, an activity's
-- starts_at for activities/cancelled/participants/service_hours, and the
-- month of each status transition for the three transition columns (the
-- status of an activity moves with the clock; docs/stats.md derives every
-- status from these plus an exact tail of the current month). The stripe is
-- the writing transaction's own (stats.stripe()), so that concurrent writers,
-- sign-ups above all, never wait for one another's summary rows;
-- stats.fold() merges stripes (rebuild() writes stripe 0).
CREATE TABLE stats.counts (
    region_code      text NOT NULL,
    month            date NOT NULL,
    stripe           smallint NOT NULL DEFAULT 0,
    volunteers       bigint NOT NULL DEFAULT 0,
    orgs_pending     bigint NOT NULL DEFAULT 0,
    orgs_approved    bigint NOT NULL DEFAULT 0,
    corps            bigint NOT NULL DEFAULT 0,   -- orgs by level: pending or approved
    detachment       bigint NOT NULL DEFAULT 0,
    brigade          bigint NOT NULL DEFAULT 0,
    team             bigint NOT NULL DEFAULT 0,
    squad            bigint NOT NULL DEFAULT 0,
    activities       bigint NOT NULL DEFAULT 0,   -- not cancelled, by starts_at (= "started" transitions)
    cancelled        bigint NOT NULL DEFAULT 0,   -- cancelled, by starts_at
    participants     bigint NOT NULL DEFAULT 0,   -- confirmed sign-ups of activities not cancelled
    service_hours    numeric NOT NULL DEFAULT 0,  -- recorded hours of activities not cancelled
    recruiting_from  bigint NOT NULL DEFAULT 0,   -- not cancelled, by least(signup_starts_at, starts_at)
    closed_from      bigint NOT NULL DEFAULT 0,   -- not cancelled, by least(signup_ends_at, starts_at)
    ended            bigint NOT NULL DEFAULT 0,   -- not cancelled, by ends_at
    active_orgs      bigint NOT NULL DEFAULT 0,   -- approved orgs with an activity in the quarter this month starts
    PRIMARY KEY (region_code, month, stripe)
);

-- Activities (not cancelled) per org and quarter (Asia/Shanghai, by
-- starts_at): when an org's count leaves or reaches 0, active_orgs of its
-- region and quarter moves, so "orgs with no activity this quarter" is
-- approved orgs minus active_orgs, two summary sums (GET /stats/quarterly).
CREATE TABLE stats.org_quarters (
    org_id      bigint NOT NULL,
    quarter     date NOT NULL,
    activities  integer NOT NULL, -- no CHECK: it would test the -1 of an upsert before the conflict
    PRIMARY KEY (org_id, quarter)
);

CREATE FUNCTION stats.quarter_of(at timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN date_trunc('quarter', at AT TIME ZONE 'Asia/Shanghai')::date;

-- The stripe (1..16) a writing transaction adds its deltas to: one that no
-- other transaction in flight holds (an advisory lock of class 12 per
-- stripe, held until commit, taken without waiting), so two concurrent
-- writers never wait for each other's summary rows, even for the country's
-- row. Only when all 16 are taken does it share one (and may wait for that
-- one commit). Re-entrant: a transaction gets its own stripe again. Stripe 0
-- is written only by stats.fold() and stats.rebuild(), never by a writer, so
-- the fold and the writers lock in one order (no deadlock).
CREATE FUNCTION stats.stripe() RETURNS smallint
    LANGUAGE plpgsql AS $$
DECLARE
    base integer := pg_backend_pid() % 16;
BEGIN
    FOR i IN 0..15 LOOP
        IF pg_try_advisory_xact_lock(12, (base + i) % 16) THEN
            RETURN 1 + (base + i) % 16;
        END IF;
    END LOOP;
    RETURN 1 + base;
END $$;

-- Sign-ups' participants deltas at the activity's own region only (one
-- narrow row per sign-up instead of four wide ones); stats.fold_participants()
-- adds them to stats.counts at every level and deletes them, and every read
-- of participants adds the deltas of its range still here, in the same
-- snapshot, so the answers stay exact between folds.
CREATE TABLE stats.participant_deltas (
    region_code   text NOT NULL,
    month         date NOT NULL,
    stripe        smallint NOT NULL,
    participants  bigint NOT NULL,
    PRIMARY KEY (region_code, month, stripe)
);

-- Adds delta rows (region_code: the record's own region; their stripe is
-- ignored: the transaction's own, stats.stripe()) to the summaries of every
-- level, one statement in key order. plpgsql, not sql: a SQL function's
-- statement is planned again at every call, plpgsql keeps the plan.
CREATE FUNCTION stats.apply(parts stats.counts[]) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    s smallint := stats.stripe();
BEGIN
    INSERT INTO stats.counts AS c
    SELECT r, p.month, s, sum(p.volunteers), sum(p.orgs_pending), sum(p.orgs_approved), sum(p.corps),
           sum(p.detachment), sum(p.brigade), sum(p.team), sum(p.squad), sum(p.activities), sum(p.cancelled),
           sum(p.participants), sum(p.service_hours), sum(p.recruiting_from), sum(p.closed_from), sum(p.ended),
           sum(p.active_orgs)
      FROM unnest(parts) p CROSS JOIN LATERAL unnest(stats.rollup(p.region_code)) r
     GROUP BY r, p.month
    HAVING sum(p.volunteers) <> 0 OR sum(p.orgs_pending) <> 0 OR sum(p.orgs_approved) <> 0 OR sum(p.corps) <> 0
        OR sum(p.detachment) <> 0 OR sum(p.brigade) <> 0 OR sum(p.team) <> 0 OR sum(p.squad) <> 0
        OR sum(p.activities) <> 0 OR sum(p.cancelled) <> 0 OR sum(p.participants) <> 0
        OR sum(p.service_hours) <> 0 OR sum(p.recruiting_from) <> 0 OR sum(p.closed_from) <> 0 OR sum(p.ended) <> 0
        OR sum(p.active_orgs) <> 0
     ORDER BY 1, 2, 3
    ON CONFLICT (region_code, month, stripe) DO UPDATE SET
        volunteers = c.volunteers + EXCLUDED.volunteers, orgs_pending = c.orgs_pending + EXCLUDED.orgs_pending,
        orgs_approved = c.orgs_approved + EXCLUDED.orgs_approved, corps = c.corps + EXCLUDED.corps,
        detachment = c.detachment + EXCLUDED.detachment, brigade = c.brigade + EXCLUDED.brigade,
        team = c.team + EXCLUDED.team, squad = c.squad + EXCLUDED.squad,
        activities = c.activities + EXCLUDED.activities, cancelled = c.cancelled + EXCLUDED.cancelled,
        participants = c.participants + EXCLUDED.participants,
        service_hours = c.service_hours + EXCLUDED.service_hours,
        recruiting_from = c.recruiting_from + EXCLUDED.recruiting_from,
        closed_from = c.closed_from + EXCLUDED.closed_from, ended = c.ended + EXCLUDED.ended,
        active_orgs = c.active_orgs + EXCLUDED.active_orgs;
END $$;

-- What one record contributes, times sign (+1 or -1). The one definition,
-- used by the triggers and by stats.rebuild().
CREATE FUNCTION stats.volunteer_parts(v volunteer.volunteers, sign integer) RETURNS SETOF stats.counts
    LANGUAGE sql STABLE AS $$
    SELECT ROW(v.region_code, stats.month_of(v.created_at), (v.id % 16)::smallint, sign,
               0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)::stats.counts
$$;

-- Rejected orgs count nowhere; an approved org also counts in active_orgs
-- of each quarter it has an activity in.
CREATE FUNCTION stats.org_parts(o org.orgs, sign integer) RETURNS SETOF stats.counts
    LANGUAGE sql STABLE AS $$
    SELECT ROW(o.region_code, stats.month_of(o.created_at), (o.id % 16)::smallint, 0,
               sign * (o.status = 'pending')::integer, sign * (o.status = 'approved')::integer,
               sign * (o.level = 'corps')::integer, sign * (o.level = 'detachment')::integer,
               sign * (o.level = 'brigade')::integer, sign * (o.level = 'team')::integer,
               sign * (o.level = 'squad')::integer, 0, 0, 0, 0, 0, 0, 0, 0)::stats.counts
     WHERE o.status IN ('pending', 'approved')
    UNION ALL
    SELECT ROW(o.region_code, q.quarter, (o.id % 16)::smallint, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
               sign)::stats.counts
      FROM stats.org_quarters q WHERE q.org_id = o.id AND q.activities > 0 AND o.status = 'approved'
$$;

-- hours: the activity's recorded hours in total. A cancelled activity
-- counts only as cancelled.
CREATE FUNCTION stats.activity_parts(a activity.activities, hours numeric, sign integer) RETURNS SETOF stats.counts
    LANGUAGE sql STABLE AS $$
    SELECT ROW(a.region_code, p.month, (a.id % 16)::smallint, 0, 0, 0, 0, 0, 0, 0, 0,
               sign * p.activities, sign * p.cancelled, sign * p.participants, sign * p.hours,
               sign * p.recruiting_from, sign * p.closed_from, sign * p.ended, 0)::stats.counts
      FROM (SELECT a.cancelled_at IS NULL AS live) l
     CROSS JOIN LATERAL (VALUES
        (stats.month_of(a.starts_at), l.live::integer, (NOT l.live)::integer,
         CASE WHEN l.live THEN a.signed_up ELSE 0 END, CASE WHEN l.live THEN hours ELSE 0 END, 0, 0, 0),
        (stats.month_of(least(a.signup_starts_at, a.starts_at)), 0, 0, 0, 0, l.live::integer, 0, 0),
        (stats.month_of(least(a.signup_ends_at, a.starts_at)), 0, 0, 0, 0, 0, l.live::integer, 0),
        (stats.month_of(a.ends_at), 0, 0, 0, 0, 0, 0, l.live::integer)
     ) p(month, activities, cancelled, participants, hours, recruiting_from, closed_from, ended)
$$;

-- The triggers. Each runs in the writer's transaction, as stvs_stats_owner.
CREATE FUNCTION stats.on_volunteer() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM stats.apply(ARRAY(
        SELECT p FROM stats.volunteer_parts(OLD, -1) p WHERE TG_OP <> 'INSERT'
        UNION ALL
        SELECT p FROM stats.volunteer_parts(NEW, 1) p WHERE TG_OP <> 'DELETE'));
    RETURN NULL;
END $$;
CREATE TRIGGER volunteers_stats AFTER INSERT OR DELETE ON volunteer.volunteers
    FOR EACH ROW EXECUTE FUNCTION stats.on_volunteer();
CREATE TRIGGER volunteers_stats_update AFTER UPDATE OF region_code, created_at ON volunteer.volunteers
    FOR EACH ROW WHEN (OLD.region_code IS DISTINCT FROM NEW.region_code OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION stats.on_volunteer();

CREATE FUNCTION stats.on_org() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM stats.apply(ARRAY(
        SELECT p FROM stats.org_parts(OLD, -1) p WHERE TG_OP <> 'INSERT'
        UNION ALL
        SELECT p FROM stats.org_parts(NEW, 1) p WHERE TG_OP <> 'DELETE'));
    RETURN NULL;
END $$;
CREATE TRIGGER orgs_stats AFTER INSERT OR DELETE ON org.orgs
    FOR EACH ROW EXECUTE FUNCTION stats.on_org();
-- member_count and version change on every membership: they fire nothing.
CREATE TRIGGER orgs_stats_update AFTER UPDATE OF status, level, region_code, created_at ON org.orgs
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.level IS DISTINCT FROM NEW.level
                       OR OLD.region_code IS DISTINCT FROM NEW.region_code
                       OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION stats.on_org();

-- An activity (not cancelled) of org p_org joins (d = 1) or leaves (d = -1)
-- quarter p_quarter: when the org's count there reaches or leaves 0, active_orgs of
-- its region moves (approved orgs only, as org_parts counts them).
CREATE FUNCTION stats.org_activity_moved(p_org bigint, p_quarter date, d integer) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    n integer;
    o record;
BEGIN
    INSERT INTO stats.org_quarters AS x (org_id, quarter, activities) VALUES (p_org, p_quarter, d)
    ON CONFLICT (org_id, quarter) DO UPDATE SET activities = x.activities + EXCLUDED.activities
    RETURNING x.activities INTO n;
    IF (n > 0) <> (n - d > 0) THEN
        SELECT g.region_code, g.status INTO o FROM org.orgs g WHERE g.id = p_org;
        IF o.status = 'approved' THEN
            PERFORM stats.apply(ARRAY[ROW(o.region_code, p_quarter, (p_org % 16)::smallint, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                          0, 0, 0, 0, CASE WHEN n > 0 THEN 1 ELSE -1 END)::stats.counts]);
        END IF;
    END IF;
END $$;

-- A sign-up changes only signed_up: one participants delta in
-- stats.participant_deltas, on the transaction's own stripe.
CREATE FUNCTION stats.on_activity() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h numeric := 0;
    s smallint;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.region_code = NEW.region_code AND OLD.starts_at = NEW.starts_at
       AND OLD.ends_at = NEW.ends_at AND OLD.signup_starts_at = NEW.signup_starts_at
       AND OLD.signup_ends_at = NEW.signup_ends_at AND (OLD.cancelled_at IS NULL) = (NEW.cancelled_at IS NULL) THEN
        IF NEW.cancelled_at IS NULL AND NEW.signed_up <> OLD.signed_up THEN
            -- the sign-up path: one narrow row, one statement whose plan plpgsql keeps
            s := stats.stripe();
            INSERT INTO stats.participant_deltas AS d (region_code, month, stripe, participants)
            VALUES (NEW.region_code, stats.month_of(NEW.starts_at), s, NEW.signed_up - OLD.signed_up)
            ON CONFLICT (region_code, month, stripe) DO UPDATE SET participants = d.participants + EXCLUDED.participants;
        END IF;
        RETURN NULL;
    END IF;
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
CREATE TRIGGER activities_stats AFTER INSERT OR DELETE ON activity.activities
    FOR EACH ROW EXECUTE FUNCTION stats.on_activity();
CREATE TRIGGER activities_stats_update
    AFTER UPDATE OF region_code, starts_at, ends_at, signup_starts_at, signup_ends_at, cancelled_at, signed_up
    ON activity.activities
    FOR EACH ROW WHEN (OLD.region_code IS DISTINCT FROM NEW.region_code OR OLD.starts_at IS DISTINCT FROM NEW.starts_at
                       OR OLD.ends_at IS DISTINCT FROM NEW.ends_at
                       OR OLD.signup_starts_at IS DISTINCT FROM NEW.signup_starts_at
                       OR OLD.signup_ends_at IS DISTINCT FROM NEW.signup_ends_at
                       OR (OLD.cancelled_at IS NULL) IS DISTINCT FROM (NEW.cancelled_at IS NULL)
                       OR OLD.signed_up IS DISTINCT FROM NEW.signed_up)
    EXECUTE FUNCTION stats.on_activity();

-- Recorded hours (posting again replaces them).
CREATE FUNCTION stats.on_service_record() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    aid bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.activity_id ELSE NEW.activity_id END;
    d numeric := CASE WHEN TG_OP = 'INSERT' THEN 0 ELSE -OLD.hours END
               + CASE WHEN TG_OP = 'DELETE' THEN 0 ELSE NEW.hours END;
BEGIN
    IF d <> 0 THEN
        PERFORM stats.apply(ARRAY(
            SELECT ROW(a.region_code, stats.month_of(a.starts_at), (a.id % 16)::smallint,
                       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, d, 0, 0, 0, 0)::stats.counts
              FROM activity.activities a WHERE a.id = aid AND a.cancelled_at IS NULL));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER service_records_stats AFTER INSERT OR UPDATE OF hours, activity_id OR DELETE ON activity.service_records
    FOR EACH ROW EXECUTE FUNCTION stats.on_service_record();

-- The summaries recomputed from the base tables, set-based, all in stripe 0
-- (the migration's backfill; a bulk load, as bench/seed.sql, disables the
-- triggers, loads, then calls this in the same transaction as re-enabling them).
CREATE FUNCTION stats.rebuild() RETURNS void
    LANGUAGE sql AS $$
    DELETE FROM stats.participant_deltas;
    DELETE FROM stats.org_quarters;
    INSERT INTO stats.org_quarters
    SELECT org_id, stats.quarter_of(starts_at), count(*) FROM activity.activities WHERE cancelled_at IS NULL
     GROUP BY 1, 2;
    DELETE FROM stats.counts;
    INSERT INTO stats.counts
    SELECT r, p.month, 0, sum(p.volunteers), sum(p.orgs_pending), sum(p.orgs_approved), sum(p.corps),
           sum(p.detachment), sum(p.brigade), sum(p.team), sum(p.squad), sum(p.activities), sum(p.cancelled),
           sum(p.participants), sum(p.service_hours), sum(p.recruiting_from), sum(p.closed_from), sum(p.ended),
           sum(p.active_orgs)
      FROM (SELECT p.* FROM volunteer.volunteers v CROSS JOIN LATERAL stats.volunteer_parts(v, 1) p
            UNION ALL
            SELECT p.* FROM org.orgs o CROSS JOIN LATERAL stats.org_parts(o, 1) p
            UNION ALL
            SELECT p.* FROM activity.activities a
              LEFT JOIN (SELECT activity_id, sum(hours) AS hours FROM activity.service_records GROUP BY activity_id) h
                ON h.activity_id = a.id
             CROSS JOIN LATERAL stats.activity_parts(a, coalesce(h.hours, 0), 1) p) p
     CROSS JOIN LATERAL unnest(stats.rollup(p.region_code)) r
     GROUP BY r, p.month
    HAVING sum(p.volunteers) <> 0 OR sum(p.orgs_pending) <> 0 OR sum(p.orgs_approved) <> 0 OR sum(p.corps) <> 0
        OR sum(p.detachment) <> 0 OR sum(p.brigade) <> 0 OR sum(p.team) <> 0 OR sum(p.squad) <> 0
        OR sum(p.activities) <> 0 OR sum(p.cancelled) <> 0 OR sum(p.participants) <> 0
        OR sum(p.service_hours) <> 0 OR sum(p.recruiting_from) <> 0 OR sum(p.closed_from) <> 0 OR sum(p.ended) <> 0
        OR sum(p.active_orgs) <> 0;
$$;
DO $$ BEGIN PERFORM stats.rebuild(); END $$;

-- Merges the stripes of up to `groups` (region, month) pairs into stripe 0,
-- in key order (the writers' lock order, so never a deadlock); returns how
-- many it merged. The stats service runs it every 30 s in its own
-- transactions (services/stats/fold.c), through this SECURITY DEFINER
-- function: its role may not write the summaries itself.
CREATE FUNCTION stats.fold(groups integer DEFAULT 1000) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    g record;
    n integer := 0;
BEGIN
    FOR g IN SELECT DISTINCT region_code, month FROM stats.counts WHERE stripe <> 0
             ORDER BY region_code, month LIMIT groups LOOP
        WITH moved AS (DELETE FROM stats.counts WHERE region_code = g.region_code AND month = g.month
                       AND stripe <> 0 RETURNING *)
        INSERT INTO stats.counts AS c
        SELECT g.region_code, g.month, 0, sum(volunteers), sum(orgs_pending), sum(orgs_approved), sum(corps),
               sum(detachment), sum(brigade), sum(team), sum(squad), sum(activities), sum(cancelled),
               sum(participants), sum(service_hours), sum(recruiting_from), sum(closed_from), sum(ended),
               sum(active_orgs)
          FROM moved HAVING count(*) > 0
        ON CONFLICT (region_code, month, stripe) DO UPDATE SET
            volunteers = c.volunteers + EXCLUDED.volunteers, orgs_pending = c.orgs_pending + EXCLUDED.orgs_pending,
            orgs_approved = c.orgs_approved + EXCLUDED.orgs_approved, corps = c.corps + EXCLUDED.corps,
            detachment = c.detachment + EXCLUDED.detachment, brigade = c.brigade + EXCLUDED.brigade,
            team = c.team + EXCLUDED.team, squad = c.squad + EXCLUDED.squad,
            activities = c.activities + EXCLUDED.activities, cancelled = c.cancelled + EXCLUDED.cancelled,
            participants = c.participants + EXCLUDED.participants,
            service_hours = c.service_hours + EXCLUDED.service_hours,
            recruiting_from = c.recruiting_from + EXCLUDED.recruiting_from,
            closed_from = c.closed_from + EXCLUDED.closed_from, ended = c.ended + EXCLUDED.ended,
            active_orgs = c.active_orgs + EXCLUDED.active_orgs;
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;

-- Moves the sign-ups' deltas into stats.counts at every level (stripe 0), in
-- key order, and deletes them; returns how many summary rows it changed. Its
-- own transaction (the stats service calls it apart from stats.fold()).
CREATE FUNCTION stats.fold_participants() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n integer;
BEGIN
    WITH locked AS (SELECT region_code, month, stripe FROM stats.participant_deltas
                     ORDER BY region_code, month, stripe FOR UPDATE),
         moved AS (DELETE FROM stats.participant_deltas d USING locked l
                    WHERE d.region_code = l.region_code AND d.month = l.month AND d.stripe = l.stripe
                    RETURNING d.region_code, d.month, d.participants)
    INSERT INTO stats.counts AS c (region_code, month, stripe, participants)
    SELECT r, m.month, 0, sum(m.participants)
      FROM moved m CROSS JOIN LATERAL unnest(stats.rollup(m.region_code)) r
     GROUP BY r, m.month HAVING sum(m.participants) <> 0
     ORDER BY 1, 2
    ON CONFLICT (region_code, month, stripe) DO UPDATE SET participants = c.participants + EXCLUDED.participants;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- The exact tail of the status counts: transitions between the start of the
-- current month and now, counted from these indexes (not cancelled only).
-- The expression indexes also INCLUDE the columns of their expression: the
-- planner offers an index-only scan only when every column the query names
-- is in the index.
CREATE INDEX activities_stats_starts ON activity.activities (starts_at, region_code) WHERE cancelled_at IS NULL;
CREATE INDEX activities_stats_ends ON activity.activities (ends_at, region_code) WHERE cancelled_at IS NULL;
CREATE INDEX activities_stats_recruiting ON activity.activities ((least(signup_starts_at, starts_at)), region_code)
    INCLUDE (signup_starts_at, starts_at) WHERE cancelled_at IS NULL;
CREATE INDEX activities_stats_closed ON activity.activities ((least(signup_ends_at, starts_at)), region_code)
    INCLUDE (signup_ends_at, starts_at) WHERE cancelled_at IS NULL;
-- The per-org activity count of a quarter (GET /stats/quarterly's page).
CREATE INDEX activities_stats_org_starts ON activity.activities (org_id, starts_at) WHERE cancelled_at IS NULL;

-- Whether an org has no activity (not cancelled) starting in [q0, q1): the
-- filter of GET /stats/quarterly?below=1's page. plpgsql so that it is not
-- inlined: as NOT EXISTS the planner hashed a whole quarter of the country's
-- activities, and as a subquery it guessed that few orgs pass and sorted them
-- all; a function (default selectivity 1/3) lets it walk orgs_status_region
-- in order and stop after one page (docs/stats.md, Measurements).
CREATE FUNCTION stats.org_idle(org bigint, q0 timestamptz, q1 timestamptz) RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN NOT EXISTS (SELECT 1 FROM activity.activities a
                        WHERE a.org_id = org AND a.cancelled_at IS NULL AND a.starts_at >= q0 AND a.starts_at < q1);
END $$;

-- Volunteer targets (the notices: ≥ 1000 per county, ≥ 10000 per city;
-- provinces none), overridden per region by a higher admin.
CREATE TABLE stats.targets (
    region_code  text PRIMARY KEY REFERENCES ref.regions,
    volunteers   integer NOT NULL CHECK (volunteers BETWEEN 1 AND 1000000000),
    set_by       bigint NOT NULL REFERENCES auth.users,
    set_at       timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION stats.default_target(code text) RETURNS integer
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN (SELECT CASE g.level WHEN 'county' THEN 1000 WHEN 'city' THEN 10000 END
              FROM ref.regions g WHERE g.code = default_target.code);

-- The stats service's one write, through this function rather than a grant:
-- the service's role keeps SELECT only (so it may point at a standby for
-- everything else), and the rule "a platform admin whose scope strictly
-- contains the region" is checked here again, next to the write. No row
-- back: the caller may not set it.
CREATE FUNCTION stats.set_target(p_uid bigint, p_code text, p_volunteers integer,
                                 OUT region_code text, OUT volunteers integer)
    RETURNS SETOF record
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO stats.targets AS t (region_code, volunteers, set_by)
    SELECT p_code, p_volunteers, p_uid
     WHERE EXISTS (SELECT 1 FROM auth.platform_admins a CROSS JOIN LATERAL ref.region_range(a.region_code) s
                    WHERE a.user_id = p_uid AND p_code BETWEEN s.lo AND s.hi AND p_code <> a.region_code)
    ON CONFLICT ON CONSTRAINT targets_pkey
        DO UPDATE SET volunteers = EXCLUDED.volunteers, set_by = EXCLUDED.set_by, set_at = now()
    RETURNING t.region_code, t.volunteers
$$;

-- Who owns and who may do what.
GRANT USAGE ON SCHEMA stats, ref, activity, auth, volunteer, org TO stvs_stats_owner;
GRANT SELECT, INSERT, UPDATE, DELETE ON stats.counts, stats.org_quarters, stats.participant_deltas
    TO stvs_stats_owner;
GRANT SELECT (id, region_code, status) ON org.orgs TO stvs_stats_owner;
GRANT SELECT, INSERT, UPDATE ON stats.targets TO stvs_stats_owner;
GRANT SELECT ON activity.activities, activity.service_records, auth.platform_admins TO stvs_stats_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA ref TO stvs_stats_owner;
ALTER FUNCTION stats.on_volunteer() OWNER TO stvs_stats_owner;
ALTER FUNCTION stats.on_org() OWNER TO stvs_stats_owner;
ALTER FUNCTION stats.on_activity() OWNER TO stvs_stats_owner;
ALTER FUNCTION stats.on_service_record() OWNER TO stvs_stats_owner;
ALTER FUNCTION stats.set_target(bigint, text, integer) OWNER TO stvs_stats_owner;
ALTER FUNCTION stats.fold(integer) OWNER TO stvs_stats_owner;
ALTER FUNCTION stats.fold_participants() OWNER TO stvs_stats_owner;
REVOKE EXECUTE ON FUNCTION stats.set_target(bigint, text, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION stats.rebuild(), stats.fold(integer), stats.apply(stats.counts[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stats.apply(stats.counts[]) TO stvs_stats_owner;

-- The service: SELECT only, plus set_target.
GRANT USAGE ON SCHEMA stats, ref, auth, org, activity TO stvs_stats;
GRANT SELECT ON stats.counts, stats.targets, stats.org_quarters, stats.participant_deltas TO stvs_stats;
GRANT SELECT ON ALL TABLES IN SCHEMA ref TO stvs_stats;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ref TO stvs_stats;
GRANT SELECT ON auth.platform_admins TO stvs_stats;
GRANT SELECT (id, name, level, status, region_code) ON org.orgs TO stvs_stats;
GRANT SELECT (id, org_id, region_code, starts_at, ends_at, signup_starts_at, signup_ends_at, cancelled_at)
    ON activity.activities TO stvs_stats;
GRANT EXECUTE ON FUNCTION stats.set_target(bigint, text, integer), stats.fold(integer), stats.fold_participants()
    TO stvs_stats;
