-- The activity list, round two (issue 15; docs/query-plans.md, bench/ANALYSIS.md).
-- The count stops at 10,001 (API.md v1.1 total_capped, services/activity/sql.c);
-- what is left for the indexes is to find page 1 of every filter quickly.

-- Two-character title searches (most Chinese words): trigrams need three
-- characters, so `q=科普` was a sequential scan of every title. A GIN index
-- over each title's distinct character pairs finds them; LIST_WHERE asks it
-- only when q has two characters (the guard folds away under the list's
-- per-call plans, so longer words keep activities_title_trgm).
CREATE FUNCTION ref.bigrams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(SELECT DISTINCT substr(t, i, 2) FROM generate_series(1, char_length(t) - 1) AS i);
GRANT EXECUTE ON FUNCTION ref.bigrams(text) TO stvs_activity;
CREATE INDEX activities_title_bigrams ON activity.activities USING gin (ref.bigrams(title));

-- Statuses move with the clock, so no partial index can hold one; the list
-- instead states each status's time window (services/activity/sql.c,
-- LIST_WHERE) and these indexes find the rows in it. Without them `ongoing`
-- walked every activity that had started (111,657 rows read and thrown away
-- at 200k activities) and `signup_closed` every one not yet started (86,493).
-- ongoing: now in [starts_at, ends_at)
CREATE INDEX activities_running ON activity.activities USING gist (tstzrange(starts_at, ends_at));
-- signup_closed: now in [signup_ends_at, starts_at) (empty when sign-up ends after the start)
CREATE INDEX activities_closed_window ON activity.activities
    USING gist (tstzrange(signup_ends_at, greatest(signup_ends_at, starts_at)));
-- cancelled: newest first, read in order (and counted) from this index alone
CREATE INDEX activities_cancelled_starts ON activity.activities (starts_at, id) WHERE cancelled_at IS NOT NULL;

-- A province's or a city's activities in starts_at order: activities_region_starts
-- is ordered by the county code first, so page 1 of a province had to read and
-- sort every activity of the province. LIST_WHERE states a province's and a
-- city's range also as the code prefix (the same rows), which these keep in
-- order; the INCLUDE columns are the status test's, so counts read the index only.
CREATE INDEX activities_province_starts ON activity.activities ((left(region_code, 2)), starts_at, id)
    INCLUDE (region_code, ends_at, signup_starts_at, signup_ends_at, cancelled_at);
CREATE INDEX activities_city_starts ON activity.activities ((left(region_code, 4)), starts_at, id)
    INCLUDE (region_code, ends_at, signup_starts_at, signup_ends_at, cancelled_at);
