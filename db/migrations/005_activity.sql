-- Activities: published by approved orgs, found by region and status, signed
-- up for under a capacity that is never exceeded, with recorded service hours
-- and a report (活动宣传) afterwards.
CREATE SCHEMA activity;
GRANT USAGE ON SCHEMA activity TO stvs_activity;

CREATE TABLE activity.activities (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id            bigint NOT NULL REFERENCES org.orgs,
    title             text NOT NULL,
    description       text NOT NULL,
    service_category  text NOT NULL,
    themes            text[] NOT NULL DEFAULT '{}',
    region_code       text NOT NULL REFERENCES ref.regions,
    address           text NOT NULL,
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz NOT NULL,
    signup_starts_at  timestamptz NOT NULL,
    signup_ends_at    timestamptz NOT NULL,
    capacity          integer NOT NULL CHECK (capacity BETWEEN 1 AND 100000),
    signed_up         integer NOT NULL DEFAULT 0,
    service_hours     numeric(7, 2) NOT NULL CHECK (service_hours > 0),
    contact_name      text NOT NULL,
    contact_phone     text NOT NULL,
    requirements      text,
    members_only      boolean NOT NULL DEFAULT false,
    cancelled_at      timestamptz,
    cancel_reason     text,
    created_by        bigint NOT NULL REFERENCES auth.users,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT activities_times CHECK (ends_at > starts_at AND signup_starts_at < signup_ends_at
                                       AND signup_ends_at <= ends_at),
    CONSTRAINT activities_hours CHECK (service_hours * 3600 <= extract(epoch FROM ends_at - starts_at)),
    -- the last line of defence against overselling
    CONSTRAINT activities_capacity CHECK (signed_up >= 0 AND signed_up <= capacity)
);
-- The list's filters, each served by an index (docs/query-plans.md).
CREATE INDEX activities_region_starts ON activity.activities (region_code, starts_at, id);
CREATE INDEX activities_starts ON activity.activities (starts_at, id);
CREATE INDEX activities_ends ON activity.activities (ends_at, id);
CREATE INDEX activities_org_starts ON activity.activities (org_id, starts_at, id);
CREATE INDEX activities_category_starts ON activity.activities (service_category, starts_at, id);
CREATE INDEX activities_themes ON activity.activities USING gin (themes);
CREATE INDEX activities_title_trgm ON activity.activities USING gin (title gin_trgm_ops);
CREATE INDEX activities_cancelled ON activity.activities (cancelled_at) WHERE cancelled_at IS NOT NULL;

-- Status by the server clock, first match wins (API.md). The one definition:
-- the detail view and the list filter both call it.
CREATE FUNCTION activity.status_at(cancelled_at timestamptz, starts_at timestamptz, ends_at timestamptz,
                                   signup_starts_at timestamptz, signup_ends_at timestamptz, at timestamptz)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN cancelled_at IS NOT NULL THEN 'cancelled'
        WHEN at >= ends_at THEN 'ended'
        WHEN at >= starts_at THEN 'ongoing'
        WHEN at >= signup_starts_at AND at < signup_ends_at THEN 'recruiting'
        WHEN at >= signup_ends_at THEN 'signup_closed'
        ELSE 'upcoming'
    END;

CREATE TABLE activity.signups (
    activity_id   bigint NOT NULL REFERENCES activity.activities,
    volunteer_id  bigint NOT NULL REFERENCES volunteer.volunteers,
    status        text NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- a volunteer is never signed up twice
    PRIMARY KEY (activity_id, volunteer_id)
);
CREATE INDEX signups_volunteer ON activity.signups (volunteer_id, activity_id);

-- Hours recorded per signed-up volunteer; posting again replaces.
CREATE TABLE activity.service_records (
    activity_id   bigint NOT NULL,
    volunteer_id  bigint NOT NULL,
    hours         numeric(7, 2) NOT NULL CHECK (hours > 0),
    recorded_by   bigint NOT NULL REFERENCES auth.users,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (activity_id, volunteer_id),
    FOREIGN KEY (activity_id, volunteer_id) REFERENCES activity.signups
);
CREATE INDEX service_records_volunteer ON activity.service_records (volunteer_id);

CREATE TABLE activity.reports (
    activity_id   bigint PRIMARY KEY REFERENCES activity.activities,
    summary       text NOT NULL,
    photo_urls    text[] NOT NULL DEFAULT '{}',
    participants  integer NOT NULL CHECK (participants >= 0),
    updated_by    bigint NOT NULL REFERENCES auth.users,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA activity TO stvs_activity;

-- A volunteer's confirmed service hours, read by every service that shows one.
CREATE FUNCTION activity.hours_of(volunteer_id bigint) RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT coalesce(sum(r.hours), 0) FROM activity.service_records r WHERE r.volunteer_id = hours_of.volunteer_id);

-- Orgs count their (not cancelled) activities exactly, at read time.
CREATE OR REPLACE FUNCTION org.activity_count(org_id bigint) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT count(*) FROM activity.activities a WHERE a.org_id = activity_count.org_id AND a.cancelled_at IS NULL);

GRANT USAGE ON SCHEMA activity TO stvs_org, stvs_volunteer;
GRANT SELECT ON activity.activities, activity.signups, activity.service_records TO stvs_org, stvs_volunteer;

-- The activity service reads volunteers (sign-ups, rosters), phones and
-- platform admins' scopes.
GRANT USAGE ON SCHEMA volunteer, auth TO stvs_activity;
GRANT SELECT ON volunteer.volunteers TO stvs_activity;
GRANT SELECT (id, phone) ON auth.users TO stvs_activity;
GRANT SELECT ON auth.platform_admins TO stvs_activity;

-- The list statement carries optional filters ("$1 IS NULL OR ..."); custom
-- plans fold the absent ones away so each filter meets its index.
ALTER ROLE stvs_activity SET plan_cache_mode = force_custom_plan;
