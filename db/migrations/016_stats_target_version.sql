-- Optimistic concurrency for the volunteer targets (issue 12/13 follow-up):
-- GET and PUT /stats/targets/{code} answer an ETag "<version>" (0 while the
-- target is unset, the notices' default; every write takes a new one), and a PUT with If-Match writes only
-- when the row is still at the version the service matched the header
-- against, compared in the write itself on the locked row, so two editors
-- who read the same version cannot both write.
-- Versions come from one sequence, so a tag is never reused, not even after
-- a row is deleted and set again.
CREATE SEQUENCE stats.target_versions;
ALTER SEQUENCE stats.target_versions OWNER TO stvs_stats_owner;
ALTER TABLE stats.targets ADD COLUMN version bigint NOT NULL DEFAULT nextval('stats.target_versions');

-- Every write takes a new version (a trigger, so that no statement can forget
-- to: stats.set_target() and a hand-made fix alike).
CREATE FUNCTION stats.target_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := nextval('stats.target_versions');
    RETURN NEW;
END
$$;
CREATE TRIGGER targets_version BEFORE INSERT OR UPDATE ON stats.targets
    FOR EACH ROW EXECUTE FUNCTION stats.target_version();

-- As in 012, with p_version: NULL writes whatever the row holds (no
-- If-Match); else the write happens only if the target is still at that
-- version (0: unset), or raises check_violation targets_if_match (the
-- service answers 412). No row back: the caller may not set it.
DROP FUNCTION stats.set_target(bigint, text, integer);
CREATE FUNCTION stats.set_target(p_uid bigint, p_code text, p_volunteers integer, p_version bigint,
                                 OUT region_code text, OUT volunteers integer, OUT version bigint)
    RETURNS SETOF record
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM auth.platform_admins a CROSS JOIN LATERAL ref.region_range(a.region_code) s
                    WHERE a.user_id = p_uid AND p_code BETWEEN s.lo AND s.hi AND p_code <> a.region_code) THEN
        RETURN;
    END IF;
    IF p_version > 0 THEN
        -- Read committed: a concurrent write makes this UPDATE wait for it and
        -- check the version again on the row it committed.
        UPDATE stats.targets AS t SET volunteers = p_volunteers, set_by = p_uid, set_at = now()
         WHERE t.region_code = p_code AND t.version = p_version
        RETURNING t.region_code, t.volunteers, t.version INTO region_code, volunteers, version;
    ELSE
        -- No If-Match (NULL): the upsert of 012. Unset expected (0): a
        -- concurrent first write makes this INSERT take the UPDATE path,
        -- whose WHERE then refuses.
        INSERT INTO stats.targets AS t (region_code, volunteers, set_by) VALUES (p_code, p_volunteers, p_uid)
        ON CONFLICT ON CONSTRAINT targets_pkey
            DO UPDATE SET volunteers = EXCLUDED.volunteers, set_by = EXCLUDED.set_by, set_at = now()
            WHERE p_version IS NULL
        RETURNING t.region_code, t.volunteers, t.version INTO region_code, volunteers, version;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the target has changed since version %', p_version
            USING ERRCODE = 'check_violation', CONSTRAINT = 'targets_if_match';
    END IF;
    RETURN NEXT;
END $$;
ALTER FUNCTION stats.set_target(bigint, text, integer, bigint) OWNER TO stvs_stats_owner;
REVOKE EXECUTE ON FUNCTION stats.set_target(bigint, text, integer, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stats.set_target(bigint, text, integer, bigint) TO stvs_stats;
