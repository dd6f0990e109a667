-- wrk: GET /api/v1/activities/{id}, id uniform over the seeded ids 1..N
-- (N given after --; bench/seed.sql numbers activities densely).
dofile("bench/wrk_common.lua")
bench_pace() -- $BENCH_DELAY_MS, for the sign-up rush's background load

local n

function init(args)
   bench_seed()
   n = assert(tonumber(args[1]), "give the number of activities after --")
end

function request()
   return wrk.format("GET", "/api/v1/activities/" .. math.random(n))
end
