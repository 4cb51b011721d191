-- GET the checkout's pages in turn, as a citizen's browser would (its cookies are given
-- with -H); prints the 95th percentile latency, which wrk's --latency table lacks.
local paths = {}
for path in string.gmatch(os.getenv("PAGES"), "[^ ]+") do table.insert(paths, path) end
local counter = 0
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
function done(summary, latency, requests)
  io.write(string.format("p95_us %d\n", latency:percentile(95)))
end
