-- wrk: GET /api/v1/volunteers/me with a random one of the access tokens
-- prepared by bench/run.sh (through the real login; the file given after --).
dofile("bench/wrk_common.lua")

local tokens

function init(args)
   bench_seed()
   tokens = bench_lines(args[1])
end

function request()
   return wrk.format("GET", "/api/v1/volunteers/me",
                     { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
end
