-- Activities, contract v1.1.
--
-- A row version for ETag / If-Match: every UPDATE of an activity bumps it (a
-- trigger, so no statement can forget to), and GET / PATCH answer it as the
-- strong validator ETag: "<version>".
ALTER TABLE activity.activities ADD COLUMN version bigint NOT NULL DEFAULT 1;

CREATE FUNCTION activity.bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER activities_version BEFORE UPDATE ON activity.activities
    FOR EACH ROW EXECUTE FUNCTION activity.bump_version();

-- Activity times as the API returns them: RFC 3339 in the session time zone
-- (Asia/Shanghai) with the fraction of a second the request gave, up to the
-- microsecond the column keeps ("2026-05-30T09:00:00.25+08:00"); whole seconds
-- print without a fraction. ref.rfc3339 drops fractions, so an edit that
-- wrote back what it read moved the instant.
CREATE FUNCTION activity.rfc3339_exact(timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT to_char($1, 'YYYY-MM-DD"T"HH24:MI:SS')
           || CASE WHEN date_trunc('second', $1) = $1 THEN ''
                   ELSE '.' || rtrim(to_char($1, 'US'), '0') END
           || to_char($1, 'TZH:TZM')
$$;
GRANT EXECUTE ON FUNCTION activity.rfc3339_exact(timestamptz) TO stvs_activity, stvs_volunteer, stvs_org;
