-- Indexes the 200k-activity plans asked for (docs/query-plans.md, Findings):
-- "recruiting" is an open sign-up window at now(), which a GiST index on the
-- window answers directly; status counts read only the index when it carries
-- every column activity.status_at() looks at.
CREATE INDEX activities_signup_window ON activity.activities USING gist (tstzrange(signup_starts_at, signup_ends_at));
CREATE INDEX activities_starts_status ON activity.activities (starts_at, id)
    INCLUDE (ends_at, signup_starts_at, signup_ends_at, cancelled_at);
DROP INDEX activity.activities_starts; -- same key as activities_starts_status
