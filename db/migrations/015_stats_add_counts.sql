-- One place for "add these rows to the summaries": stats.apply() (every
-- writer's trigger) and stats.fold() (the stats service's merge of stripes)
-- each repeated the same INSERT ... ON CONFLICT DO UPDATE with its sixteen
-- columns (migration 012). stats.add_counts() is that statement; both call
-- it, so a new summary column is added in one upsert. Behaviour is
-- unchanged: the same rows, added in the order given (the key order the
-- callers sort by, which is the writers' lock order), in the caller's
-- transaction.

-- Adds each row (region, month, stripe and the deltas) to its summary row,
-- creating it when missing. plpgsql: the statement's plan is kept.
CREATE FUNCTION stats.add_counts(rows stats.counts[]) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats.counts AS c
    SELECT (rows[i]).* FROM generate_subscripts(rows, 1) AS i ORDER BY i
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

-- As in 012: the delta rows rolled up to every level, summed per (region,
-- month) on the transaction's stripe, zero rows left out, in key order.
CREATE OR REPLACE FUNCTION stats.apply(parts stats.counts[]) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    s smallint := stats.stripe();
BEGIN
    PERFORM stats.add_counts(ARRAY(
        SELECT ROW(r, p.month, s, sum(p.volunteers), sum(p.orgs_pending), sum(p.orgs_approved), sum(p.corps),
                   sum(p.detachment), sum(p.brigade), sum(p.team), sum(p.squad), sum(p.activities), sum(p.cancelled),
                   sum(p.participants), sum(p.service_hours), sum(p.recruiting_from), sum(p.closed_from),
                   sum(p.ended), sum(p.active_orgs))::stats.counts
          FROM unnest(parts) p CROSS JOIN LATERAL unnest(stats.rollup(p.region_code)) r
         GROUP BY r, p.month
        HAVING sum(p.volunteers) <> 0 OR sum(p.orgs_pending) <> 0 OR sum(p.orgs_approved) <> 0 OR sum(p.corps) <> 0
            OR sum(p.detachment) <> 0 OR sum(p.brigade) <> 0 OR sum(p.team) <> 0 OR sum(p.squad) <> 0
            OR sum(p.activities) <> 0 OR sum(p.cancelled) <> 0 OR sum(p.participants) <> 0
            OR sum(p.service_hours) <> 0 OR sum(p.recruiting_from) <> 0 OR sum(p.closed_from) <> 0
            OR sum(p.ended) <> 0 OR sum(p.active_orgs) <> 0
         ORDER BY r, p.month));
END $$;

-- As in 012: each (region, month) with stripes other than 0, in key order,
-- its stripes deleted and their sum added to stripe 0.
CREATE OR REPLACE FUNCTION stats.fold(groups integer DEFAULT 1000) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    g record;
    merged stats.counts;
    n integer := 0;
BEGIN
    FOR g IN SELECT DISTINCT region_code, month FROM stats.counts WHERE stripe <> 0
             ORDER BY region_code, month LIMIT groups LOOP
        WITH moved AS (DELETE FROM stats.counts WHERE region_code = g.region_code AND month = g.month
                       AND stripe <> 0 RETURNING *)
        SELECT g.region_code, g.month, 0, sum(volunteers), sum(orgs_pending), sum(orgs_approved), sum(corps),
               sum(detachment), sum(brigade), sum(team), sum(squad), sum(activities), sum(cancelled),
               sum(participants), sum(service_hours), sum(recruiting_from), sum(closed_from), sum(ended),
               sum(active_orgs)
          INTO merged FROM moved HAVING count(*) > 0;
        IF FOUND THEN
            PERFORM stats.add_counts(ARRAY[merged]);
        END IF;
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;

-- stats.apply() runs as the triggers' owner, stats.fold() as its own: only
-- that role adds counts.
ALTER FUNCTION stats.add_counts(stats.counts[]) OWNER TO stvs_stats_owner;
REVOKE EXECUTE ON FUNCTION stats.add_counts(stats.counts[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stats.add_counts(stats.counts[]) TO stvs_stats_owner;
