-- wrk: POST /api/v1/activities/{id}/signups, a random volunteer (one of the
-- prepared access tokens, first file after --) on a random activity of the
-- bench's pool (recruiting and open to all, second file). Every answer is
-- counted by status and problem code: 201, 409 activity_full /
-- already_signed_up / signup_closed, and anything else.
dofile("bench/wrk_common.lua")

local tokens, pool
counts = {}

function init(args)
   bench_seed()
   tokens = bench_lines(args[1])
   pool = bench_lines(args[2])
end

function request()
   return wrk.format("POST", "/api/v1/activities/" .. pool[math.random(#pool)] .. "/signups",
                     { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] }, "")
end

function response(status, headers, body)
   local key = tostring(status)
   if status ~= 201 then
      key = key .. " " .. (string.match(body or "", '"code"%s*:%s*"([%w_]+)"') or "?")
   end
   counts[key] = (counts[key] or 0) + 1
end
