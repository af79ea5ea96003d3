--[[
  Quarantines one body: appends it to the quarantine stream, then drops the oldest bodies until the
  quarantine holds at most `capacity` bodies and `maxBytes` bytes of bodies as received (the stream
  keeps them base64, a third more). The new body is always kept. The bytes held are kept in the
  stats hash ("quarantineBytes"), counted once over the stream when absent (a quarantine written
  before the byte bound); the bodies dropped are counted there too ("quarantineDropped").

  Input:
    KEYS[1] quarantine stream
    KEYS[2] stats hash (same hash tag)

    ARGV[1] capacity (bodies)
    ARGV[2] byte bound (bytes of bodies as received)
    ARGV[3..] the entry's fields and values, in pairs; "body" is the base64 of the bytes received

  Output:
    how many of the oldest bodies were dropped to make room
]]
local streamKey, statsKey = KEYS[1], KEYS[2]
local capacity, maxBytes = tonumber(ARGV[1]), tonumber(ARGV[2])

-- The bytes received of a quarantined body: its base64 field's length, less the padding.
local function bodyBytes(fields)
  for i = 1, #fields, 2 do
    if fields[i] == "body" then
      local b64 = fields[i + 1]
      local padding = #string.match(b64, "=*$")
      return #b64 / 4 * 3 - padding
    end
  end
  return 0
end

local bytes = tonumber(redis.call("HGET", statsKey, "quarantineBytes"))
if bytes == nil then
  bytes = 0
  local start = "-"
  repeat
    local page = redis.call("XRANGE", streamKey, start, "+", "COUNT", 1000)
    for _, entry in ipairs(page) do bytes = bytes + bodyBytes(entry[2]) end
    if #page > 0 then start = "(" .. page[#page][1] end
  until #page < 1000
end

local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call("XADD", streamKey, "*", unpack(fields))
bytes = bytes + bodyBytes(fields)

-- The oldest go while a bound is exceeded; the newest (just added) always stays.
local length = redis.call("XLEN", streamKey)
local dropped, start = 0, "-"
while length - dropped > 1 and (length - dropped > capacity or bytes > maxBytes) do
  local page = redis.call("XRANGE", streamKey, start, "+", "COUNT", math.max(length - dropped - capacity, 64))
  for _, entry in ipairs(page) do
    if not (length - dropped > 1 and (length - dropped > capacity or bytes > maxBytes)) then break end
    dropped = dropped + 1
    bytes = bytes - bodyBytes(entry[2])
  end
  start = "(" .. page[#page][1]
end
if dropped > 0 then
  redis.call("XTRIM", streamKey, "MAXLEN", length - dropped)
  redis.call("HINCRBY", statsKey, "quarantineDropped", dropped)
end
redis.call("HSET", statsKey, "quarantineBytes", bytes)
return dropped
