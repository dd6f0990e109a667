-- A title word, a theme or a service category together with a status that
-- moves with the clock (issue 15: page 1 of every filter combination served
-- by an index; docs/query-plans.md, "session 11"). The list reads such a
-- status from listed_status (migration 021), but the word's, the theme's
-- and the category's indexes knew nothing of it: the planner found the
-- word's rows and threw away those in another status (status=ended&q=科普:
-- 9,302 rows thrown away at 200k activities, 8,570 and 636 ms at 2M;
-- theme=science_day&status=recruiting walked the recruiting entries for
-- its one match, 123,888 thrown away at 2M).
--
-- GIN keeps each column's keys apart and intersects their posting lists in
-- the scan, so one index over (listed_status, the word's keys) finds
-- exactly the rows of a word in a status, and, as the docs say of
-- multicolumn GIN, serves a condition on the word alone as well as the
-- index without the status did: these replace activities_title_trgm,
-- activities_title_bigrams and activities_themes. btree_gin gives text its
-- GIN operator class (a trusted extension: the database's owner may
-- create it, as pg_trgm in migration 003).
--
-- A category keeps activities_category_starts for its own page order; with
-- a status, its page walks (service_category, listed_status, starts_at).
-- A sign-up's update writes signed_up, in none of these: it stays HOT.
CREATE EXTENSION IF NOT EXISTS btree_gin;

DROP INDEX activity.activities_title_trgm;
DROP INDEX activity.activities_title_bigrams;
DROP INDEX activity.activities_themes;
CREATE INDEX activities_listed_title_trgm ON activity.activities USING gin (listed_status, title gin_trgm_ops);
CREATE INDEX activities_listed_title_bigrams ON activity.activities USING gin (listed_status, ref.bigrams(title));
CREATE INDEX activities_listed_themes ON activity.activities USING gin (listed_status, themes);
CREATE INDEX activities_category_listed_starts ON activity.activities (service_category, listed_status, starts_at, id)
    INCLUDE (listed_since, listed_until);
