-- wrk: a flood of password logins from one client address (wrk connects
-- from 127.0.0.1): POST /api/v1/auth/sessions, a random phone and a wrong
-- password every time. Every answer is counted by status and problem code:
-- 401 unauthorized (the login reached the hash), 429 rate_limited (refused by
-- LOGIN_PER_ADDRESS_PER_MINUTE before any hash), anything else.
-- $BENCH_DELAY_MS (default 0): each connection waits that long between its
-- requests, so that N connections send at a set rate (about N * 1000 / delay
-- per second) instead of as fast as the server answers.
dofile("bench/wrk_common.lua")

counts = {}
local pause = tonumber(os.getenv("BENCH_DELAY_MS")) or 0

if pause > 0 then -- defined only then: wrk schedules every request through a timer when it exists
   function delay()
      return pause
   end
end

function init(args)
   bench_seed()
end

function request()
   local body = string.format('{"phone":"139%08d","password":"not the password"}', math.random(0, 99999999))
   return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
   local key = tostring(status) .. " " .. (string.match(body or "", '"code"%s*:%s*"([%w_]+)"') or "?")
   counts[key] = (counts[key] or 0) + 1
end
