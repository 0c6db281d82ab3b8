-- wrk script: POST /f/KEY plain HTML form bodies (form-urlencoded), every one
-- different (its own _nonce and message, so no replay), e-mails drawn from a
-- pool of POOL addresses of which the first KNOWN are existing customers:
-- about half the posts complete a customer, half create a prospect.
local key = os.getenv("KEY") or ""
local pool = tonumber(os.getenv("POOL") or "40000")
local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
  ["Referer"] = "https://shop.example/contact",
}
local topics = { "Spa", "Voyage", "Golf" }
local thread_seed = 0
setup = function(thread) thread_seed = thread_seed + 1; thread:set("seed", thread_seed) end
local n = 0
init = function() math.randomseed(os.time() + (seed or 0) * 7919) end
request = function()
  n = n + 1
  local i = math.random(1, pool)
  local body = string.format(
    "email=bench-%d%%40example.com&first_name=Bench&last_name=N%d&zip=69003&topic=%s" ..
    "&message=Bonjour+%d-%d&optin=on&_nonce=%d-%d-%d",
    i, i, topics[math.random(1, #topics)], seed or 0, n, seed or 0, n, os.time())
  return wrk.format("POST", "/f/" .. key, headers, body)
end
