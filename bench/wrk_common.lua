-- Shared by the bench's wrk scripts (loaded with dofile from the repository
-- root, where bench/run.sh runs wrk). Each wrk thread has its own Lua state:
-- setup() numbers the threads, and done() writes the run's numbers as JSON
-- to $BENCH_WRK_JSON (latencies in ms), with the per-thread `counts` tables
-- of scripts that count answers summed into "counts".

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_id", #threads)
end

-- Seeded per thread: $BENCH_SEED (default 1) and the thread's number.
function bench_seed()
   math.randomseed((tonumber(os.getenv("BENCH_SEED")) or 1) * 1000 + (thread_id or 0))
   math.random(); math.random()
end

-- $BENCH_DELAY_MS (default 0): each connection waits that long between its
-- requests (a set rate rather than as fast as the server answers). delay() is
-- defined only then: wrk schedules every request through a timer when it exists.
function bench_pace()
   local pause = tonumber(os.getenv("BENCH_DELAY_MS")) or 0
   if pause > 0 then
      function delay()
         return pause
      end
   end
end

-- The non-empty lines of a file.
function bench_lines(path)
   local t = {}
   local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
   for l in f:lines() do
      if l ~= "" then t[#t + 1] = l end
   end
   f:close()
   assert(#t > 0, path .. " is empty")
   return t
end

local function json_counts(c)
   local parts = {}
   for k, v in pairs(c) do
      parts[#parts + 1] = string.format("%q:%d", tostring(k), v)
   end
   table.sort(parts)
   return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
   local counts = {}
   for _, t in ipairs(threads) do
      local c = t:get("counts")
      if type(c) == "table" then
         for k, v in pairs(c) do counts[k] = (counts[k] or 0) + v end
      end
   end
   local e = summary.errors
   local secs = summary.duration / 1e6
   local out = assert(io.open(assert(os.getenv("BENCH_WRK_JSON"), "set BENCH_WRK_JSON"), "w"))
   out:write(string.format(
      '{"tool":"wrk","connections":%d,"duration_s":%.3f,"requests":%d,"requests_per_s":%.1f,' ..
      '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"counts":%s}\n',
      tonumber(os.getenv("BENCH_CONNECTIONS")) or 0, secs, summary.requests, summary.requests / secs,
      latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
      latency.max / 1e3, latency.mean / 1e3,
      e.connect, e.read, e.write, e.status, e.timeout, json_counts(counts)))
   out:close()
end
