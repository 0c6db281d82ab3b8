-- wrk script: GET PATH_PREFIX<random id>PATH_SUFFIX with a bearer token.
local maxid = tonumber(os.getenv("MAXID") or "1000")
local token = os.getenv("TOKEN") or ""
local prefix = os.getenv("PATH_PREFIX") or "/api/v1/customers/"
local suffix = os.getenv("PATH_SUFFIX") or ""
local headers = { ["Authorization"] = "Bearer " .. token }
math.randomseed(os.time())
request = function()
  return wrk.format("GET", prefix .. math.random(1, maxid) .. suffix, headers)
end
