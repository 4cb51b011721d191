-- POST /v1/payment_intents with a fresh Idempotency-Key on every request (per wrk thread).
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
wrk.method = "POST"
wrk.body = "amount=150000&currency=vnd"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local counter = 0
function request()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = "t" .. tid .. "-" .. counter .. "-" .. os.time()
  return wrk.format(nil)
end
