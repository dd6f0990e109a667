-- Costs the benchmark found (bench/ANALYSIS.md).

-- Region + status (the common public query): counted from the index alone.
DROP INDEX activity.activities_region_starts;
CREATE INDEX activities_region_starts ON activity.activities (region_code, starts_at, id)
    INCLUDE (ends_at, signup_starts_at, signup_ends_at, cancelled_at);

-- Only the list statements need a plan for their actual filters; the service
-- asks for that per statement now (db_stmt.plan_per_call), so every other
-- statement keeps its cached plan (planning was 2/3 of a detail lookup).
ALTER ROLE stvs_activity RESET plan_cache_mode;

-- A region's display JSON, computed once per region instead of planned and
-- joined three times on every row shown (plpgsql keeps its plan per session).
ALTER TABLE ref.regions ADD COLUMN display json;
UPDATE ref.regions SET display = ref.region_json(code);
ALTER TABLE ref.regions ALTER COLUMN display SET NOT NULL;
CREATE OR REPLACE FUNCTION ref.region_json(code text) RETURNS json
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT r.display FROM ref.regions r WHERE r.code = region_json.code);
END $$;
