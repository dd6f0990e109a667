-- Volunteers (科技志愿者). The ID number is stored only sealed (AES-256-GCM
-- under a key from var/, never in the database) with a keyed blind index
-- (HMAC) for uniqueness and a masked copy for responses.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE SCHEMA volunteer;
GRANT USAGE ON SCHEMA volunteer TO stvs_volunteer;

CREATE TABLE volunteer.volunteers (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id             bigint NOT NULL REFERENCES auth.users,
    real_name           text NOT NULL,
    id_sealed           bytea NOT NULL,
    id_index            bytea NOT NULL CHECK (length(id_index) = 32),
    id_masked           text NOT NULL CHECK (id_masked ~ '^[0-9]{4}\*{10}[0-9]{3}[0-9X]$'),
    gender              text NOT NULL CHECK (gender IN ('male', 'female')),
    birth_date          date NOT NULL,
    political_status    text NOT NULL,
    ethnicity           text NOT NULL,
    employer            text NOT NULL,
    title               text NOT NULL,
    education           text NOT NULL,
    occupation          text NOT NULL,
    region_code         text NOT NULL REFERENCES ref.regions,
    service_categories  text[] NOT NULL CHECK (cardinality(service_categories) >= 1),
    service_fields      text[] NOT NULL CHECK (cardinality(service_fields) >= 1),
    grassroots_role     text NOT NULL,
    skills              text,
    availability        text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT volunteers_user_unique UNIQUE (user_id),
    CONSTRAINT volunteers_id_number_unique UNIQUE (id_index)
);
-- "This region and everything under it" is a code range (ref.region_range).
CREATE INDEX volunteers_region ON volunteer.volunteers (region_code, id);
CREATE INDEX volunteers_name_trgm ON volunteer.volunteers USING gin (real_name gin_trgm_ops);
CREATE INDEX volunteers_categories ON volunteer.volunteers USING gin (service_categories);

GRANT SELECT, INSERT, UPDATE ON volunteer.volunteers TO stvs_volunteer;

-- The volunteer service reads accounts' phones and platform admins' scopes.
GRANT USAGE ON SCHEMA auth TO stvs_volunteer;
GRANT SELECT (id, phone) ON auth.users TO stvs_volunteer;
GRANT SELECT ON auth.platform_admins TO stvs_volunteer;
-- /auth/me shows the caller's volunteer id.
GRANT USAGE ON SCHEMA volunteer TO stvs_auth;
GRANT SELECT (id, user_id) ON volunteer.volunteers TO stvs_auth;

-- A LIKE pattern that matches q literally anywhere: %, _ and \ lose their
-- wildcard meaning.
CREATE FUNCTION ref.contains_pattern(q text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN '%' || replace(replace(replace(q, '\', '\\'), '%', '\%'), '_', '\_') || '%';
GRANT EXECUTE ON FUNCTION ref.contains_pattern(text) TO stvs_volunteer, stvs_org, stvs_activity;
