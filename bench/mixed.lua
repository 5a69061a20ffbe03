-- wrk script: the mixed load of a client population, through the gateway. Per 100 requests:
--   1 login (POST /api/auth/login), 34 balance (GET /api/billing/balance), 20 submissions
--   (POST /api/jobs, unique Idempotency-Key), 45 status polls (GET /api/jobs/{id} of one of the
--   last jobs this thread submitted; GET /api/jobs?limit=10 until there is one).
-- Each wrk thread is one user: BENCH_TOKENS (comma-separated access tokens) and BENCH_LOGINS
-- (comma-separated email:password pairs), one per thread, in thread order. BENCH_RATE with BENCH_THREADS = wrk -t
-- paces each thread on a fixed schedule (see submit.lua).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } mixed_timeval;
  int gettimeofday(mixed_timeval *tv, void *tz);
]]
local tv = ffi.new("mixed_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end

-- setup() runs in the main Lua state; thread:set makes thread_no a global of the thread's own
local threads_created = 0
function setup(thread)
  threads_created = threads_created + 1
  thread:set("thread_no", threads_created)
end

function init(args)
  counter = 0
  run = os.getenv("BENCH_RUN") or tostring(os.time())
  local tokens, logins = {}, {}
  for t in string.gmatch(os.getenv("BENCH_TOKENS"), "[^,]+") do table.insert(tokens, t) end
  for l in string.gmatch(os.getenv("BENCH_LOGINS"), "[^,]+") do table.insert(logins, l) end
  auth = "Bearer " .. tokens[thread_no]
  local email, password = string.match(logins[thread_no], "([^:]+):(.+)")
  login_body = string.format('{"email":"%s","password":"%s"}', email, password)
  jobs = {}
  submit_body = '{"type":"echo","input":{"simulate":{"latency_ms":0}}}'
  local rate = tonumber(os.getenv("BENCH_RATE") or "")
  if rate then period = 1000 * tonumber(os.getenv("BENCH_THREADS") or "1") / rate end
end

function delay()
  if not period then return 0 end
  local t = now_ms()
  next_at = (next_at or t) + period
  if next_at < t then return 0 end
  return math.floor(next_at - t)
end

function request()
  counter = counter + 1
  local slot = counter % 100
  if slot == 0 then
    return wrk.format("POST", "/api/auth/login", { ["Content-Type"] = "application/json" }, login_body)
  elseif slot <= 34 then
    return wrk.format("GET", "/api/billing/balance", { ["Authorization"] = auth })
  elseif slot <= 54 then
    return wrk.format("POST", "/api/jobs", {
      ["Authorization"] = auth, ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = run .. "-" .. thread_no .. "-" .. counter }, submit_body)
  elseif #jobs > 0 then
    return wrk.format("GET", "/api/jobs/" .. jobs[counter % #jobs + 1], { ["Authorization"] = auth })
  end
  return wrk.format("GET", "/api/jobs?limit=10", { ["Authorization"] = auth })
end

-- the last 100 jobs this thread submitted are the ones it polls
function response(status, headers, body)
  if status == 201 then
    local id = string.match(body, '"job_id":"([0-9a-f%-]+)"')
    if id then
      submitted = (submitted or 0) + 1
      jobs[(submitted - 1) % 100 + 1] = id
    end
  end
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("wrk requests=%d duration_s=%.2f req_per_s=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f "
      .. "max_ms=%.2f non_2xx=%d socket_errors=%d error_rate=%.2f%%\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.status, errors, 100 * (summary.errors.status + errors) / math.max(1, summary.requests)))
end
