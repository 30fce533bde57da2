-- The load of scripts/bench_http.py, run by wrk with BENCH_KIND (what to ask) and BENCH_TARGETS (a
-- file of "user_id token title_id[,title_id...]" lines: a user, their bearer token, their titles).
-- done() reports the counts and every latency (microseconds, as value:count) for the script to pool.
local kind, targets = os.getenv("BENCH_KIND"), {}
for line in io.lines(os.getenv("BENCH_TARGETS")) do
  local user, token, titles = line:match("^(%d+) (%S+) (%S+)$")
  local ids = {}
  for id in titles:gmatch("%d+") do ids[#ids + 1] = id end
  targets[#targets + 1] = {user = user, auth = "Bearer " .. token, titles = ids}
end

-- wrk runs one thread per connection (-t as -c), and each connection carries the writes of users
-- of its own, as each person's client keeps its own connection: setup() numbers the threads.
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("slot", #threads)
end

local turn, mine = 0, {}
sent = 0

function init(args)  -- in each thread: the users of its connection
  for i = slot, #targets, tonumber(os.getenv("BENCH_SLOTS")) do mine[#mine + 1] = targets[i] end
end

local function pick()
  if kind == "write" or kind == "bare_write" then
    -- this connection's users in turn, so no two writes of one user are in flight together
    turn = turn % #mine + 1
    return mine[turn]
  end
  return targets[math.random(#targets)]
end

local json = {["Content-Type"] = "application/json"}

function request()
  sent = sent + 1
  local t = pick()
  local title = t.titles[math.random(#t.titles)]
  if kind == "write" then
    return wrk.format("POST", "/api/progress/log", {["Content-Type"] = "application/json", ["Authorization"] = t.auth},
                      '{"title_id": ' .. title .. ', "delta": 1}')
  elseif kind == "bare_write" then
    return wrk.format("POST", "/log", json, '{"user_id": ' .. t.user .. ', "title_id": ' .. title .. ', "delta": 1}')
  elseif kind == "tracker" then
    return wrk.format("GET", "/api/progress/" .. t.user .. "/trackers/" .. title, {["Authorization"] = t.auth})
  elseif kind == "bare_tracker" then
    return wrk.format("GET", "/tracker/" .. t.user .. "/" .. title)
  elseif kind == "history" then
    return wrk.format("GET", "/api/progress/" .. t.user .. "/history?limit=50", {["Authorization"] = t.auth})
  elseif kind == "bare_history" then
    return wrk.format("GET", "/history/" .. t.user .. "?limit=50")
  elseif kind == "history_occurred" then
    return wrk.format("GET", "/api/progress/" .. t.user .. "/history?order=occurred&limit=50",
                      {["Authorization"] = t.auth})
  elseif kind == "bare_history_occurred" then
    return wrk.format("GET", "/history_occurred/" .. t.user .. "?limit=50")
  end
  error("unknown BENCH_KIND " .. tostring(kind))
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("sent") end
  local e = summary.errors
  io.write(string.format("bench: duration_us=%d requests=%d sent=%d non_2xx=%d socket_errors=%d\n", summary.duration,
                         summary.requests, total, e.status, e.connect + e.read + e.write + e.timeout))
  local pairs_ = {}
  for i = 1, #latency do
    local value, count = latency(i)
    pairs_[#pairs_ + 1] = string.format("%d:%d", value, count)
  end
  io.write("bench: latency_us=" .. table.concat(pairs_, ",") .. "\n")
end
