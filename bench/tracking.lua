-- wrk script: POST /t/collect batches of BATCH events (default 1) from a pool
-- of VISITORS anonymous visitors, with a browser user agent.
local key = os.getenv("KEY") or ""
local batch = tonumber(os.getenv("BATCH") or "1")
local visitors = tonumber(os.getenv("VISITORS") or "20000")
local headers = {
  ["Content-Type"] = "application/json",
  ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
}
local kinds = {
  '{"type":"page_view","url":"https://shop.example/c/%d","referrer":"https://www.google.fr/search?q=trip+%d"}',
  '{"type":"product_view","product":"SKU-%d","url":"https://shop.example/p/%d"}',
  '{"type":"add_to_cart","product":"SKU-%d","order":"%d"}',
  '{"type":"search","query":"trip %d","url":"https://shop.example/s?q=%d"}',
}
local thread_seed = 0
setup = function(thread) thread_seed = thread_seed + 1; thread:set("seed", thread_seed) end
init = function() math.randomseed(os.time() + (seed or 0) * 7919) end
request = function()
  local ev = {}
  for i = 1, batch do
    local n = math.random(1, 500)
    ev[i] = string.format(kinds[math.random(1, #kinds)], n, n)
  end
  local body = string.format('{"key":"%s","visitor":"bench-%08d","events":[%s]}', key,
    math.random(1, visitors), table.concat(ev, ","))
  return wrk.format("POST", "/t/collect", headers, body)
end
