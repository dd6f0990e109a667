-- A region's cancelled activities (issue 15; bench/ANALYSIS.md, "Session 7").
-- Few activities are cancelled (4% of the bench's), so within a province,
-- a city or a county activities_province/city/region_starts hold them
-- scattered among all the others: a city's cancelled count walked every
-- entry of the city and a province's every entry of the province (6,450 at
-- 200k activities, ten times that at the national 2M), keeping one in
-- twenty-five, and its page walked back ~500 entries for 20. Cancelled
-- alone of the statuses does not move with the clock, so it can be an
-- index's predicate, as activities_cancelled_starts is country-wide
-- (migration 014): these keep each level's cancelled activities in
-- starts_at order, count and page read only them. The list says a status
-- with activity.has_status(), whose 'cancelled' arm is this predicate.
-- region_code is included because an index-only scan needs the column
-- itself, not only left(region_code, n).
CREATE INDEX activities_cancelled_province_starts ON activity.activities ((left(region_code, 2)), starts_at, id)
    INCLUDE (region_code) WHERE cancelled_at IS NOT NULL;
CREATE INDEX activities_cancelled_city_starts ON activity.activities ((left(region_code, 4)), starts_at, id)
    INCLUDE (region_code) WHERE cancelled_at IS NOT NULL;
CREATE INDEX activities_cancelled_region_starts ON activity.activities (region_code, starts_at, id)
    WHERE cancelled_at IS NOT NULL;
