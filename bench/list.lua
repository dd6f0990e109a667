-- wrk: GET /api/v1/activities?region=R&status=S, R a random province or city
-- code of ref.regions (the file given after --), S a random one of the six
-- statuses; both drawn anew for every request.
dofile("bench/wrk_common.lua")
bench_pace() -- $BENCH_DELAY_MS, for the sign-up rush's background load

local regions
local statuses = { "cancelled", "ended", "ongoing", "recruiting", "signup_closed", "upcoming" }

function init(args)
   bench_seed()
   regions = bench_lines(args[1])
end

function request()
   return wrk.format("GET", "/api/v1/activities?region=" .. regions[math.random(#regions)] ..
                     "&status=" .. statuses[math.random(#statuses)])
end
