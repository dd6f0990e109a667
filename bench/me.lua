-- wrk: GET of the URL's path (/api/v1/volunteers/me, /api/v1/auth/me) with a
-- random one of the access tokens prepared by bench/run.sh (through the real
-- login; the file given after --). $BENCH_DELAY_MS (default 0): each
-- connection waits that long between its requests (a set rate rather than
-- as fast as the server answers).
dofile("bench/wrk_common.lua")

local tokens
bench_pace()

function init(args)
   bench_seed()
   tokens = bench_lines(args[1])
end

function request()
   return wrk.format("GET", nil,
                     { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
end
