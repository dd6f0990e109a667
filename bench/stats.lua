-- wrk: GET of the URL's path and query (a stats endpoint) with the token in
-- the file given after -- (bench/stats_latency.py --token-out: the dataset's
-- national admin), and Accept: $BENCH_ACCEPT (the xlsx report asks for the
-- workbook). Every answer other than 200 is counted by status.
dofile("bench/wrk_common.lua")

local token
local accept = os.getenv("BENCH_ACCEPT") or "application/json"
counts = {}

function init(args)
   bench_seed()
   token = bench_lines(args[1])[1]
end

function request()
   return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. token, ["Accept"] = accept })
end

function response(status, headers, body)
   local key = tostring(status)
   counts[key] = (counts[key] or 0) + 1
end
