-- wrk script for the soak test: a mix of reads and writes with a bearer
-- token – 60 % a 360° profile, 15 % a timeline, 10 % a search, 15 % a new
-- interaction (a write). Non-2xx answers are counted by wrk.
local maxid = tonumber(os.getenv("MAXID") or "1000")
local token = os.getenv("TOKEN") or ""
local get = { ["Authorization"] = "Bearer " .. token }
local post = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
local words = { "martin", "dupont", "lyon", "hel", "paris", "bernard", "0612" }
math.randomseed(os.time())
request = function()
  local r = math.random(100)
  local id = math.random(1, maxid)
  if r <= 60 then
    return wrk.format("GET", "/api/v1/customers/" .. id, get)
  elseif r <= 75 then
    return wrk.format("GET", "/api/v1/customers/" .. id .. "/timeline?limit=20", get)
  elseif r <= 85 then
    return wrk.format("GET", "/api/v1/customers?q=" .. words[math.random(#words)], get)
  end
  return wrk.format("POST", "/api/v1/interactions", post,
    '{"customer_id":' .. id .. ',"channel":"web","direction":"inbound","subject":"soak"}')
end
