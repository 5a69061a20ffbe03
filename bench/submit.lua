-- wrk script: POST /api/jobs with a unique Idempotency-Key per request.
-- Access tokens from the environment: BENCH_TOKENS (comma-separated, used in turn: one per user)
-- or BENCH_TOKEN; keys are <run>-<thread>-<counter>.
-- BENCH_RATE (optional, with BENCH_THREADS = wrk -t): each thread paces its requests on a fixed
-- schedule of BENCH_RATE / BENCH_THREADS per second (wrk's delay()), so the total rate is fixed
-- as long as a connection is free when a slot comes; wrk still times from the actual send.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } bench_timeval;
  int gettimeofday(bench_timeval *tv, void *tz);
]]
local tv = ffi.new("bench_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end

local threads = {}
local thread_no = 0

function setup(thread)
  thread_no = thread_no + 1
  thread:set("thread_no", thread_no)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  run = os.getenv("BENCH_RUN") or tostring(os.time())
  tokens = {}
  for t in string.gmatch(os.getenv("BENCH_TOKENS") or os.getenv("BENCH_TOKEN"), "[^,]+") do
    table.insert(tokens, t)
  end
  body = '{"type":"echo","input":{"simulate":{"latency_ms":0}}}'
  local rate = tonumber(os.getenv("BENCH_RATE") or "")
  if rate then
    period = 1000 * tonumber(os.getenv("BENCH_THREADS") or "1") / rate
  end
end

function delay()
  if not period then
    return 0
  end
  local t = now_ms()
  next_at = (next_at or t) + period
  if next_at < t then
    return 0
  end
  return math.floor(next_at - t)
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/api/jobs", {
    ["Authorization"] = "Bearer " .. tokens[(counter + thread_no) % #tokens + 1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = run .. "-" .. thread_no .. "-" .. counter,
  }, body)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("wrk requests=%d duration_s=%.2f req_per_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f "
      .. "non_2xx=%d socket_errors=%d error_rate=%.2f%%\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    non2xx, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    100 * (non2xx + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout)
      / math.max(1, summary.requests)))
end
