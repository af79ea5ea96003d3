--[[
  Looks an event up by uid in one round trip.

  Input:
    KEYS[1] seen hash of the uid's time bucket     (uid -> stream entry id)
    KEYS[2] events stream
    ARGV[1] uid (decimal string)

  Output:
    {"unknown"}            uid not seen within the dedup window
    {"evicted"}            seen and stored, but since pushed out of the ring buffer
    {"found", eventJson}
]]
local id = redis.call("HGET", KEYS[1], ARGV[1])
if not id then
  return {"unknown"}
end
local entries = redis.call("XRANGE", KEYS[2], id, id)
if #entries == 0 then
  return {"evicted"}
end
local fields = entries[1][2]
for i = 1, #fields, 2 do
  if fields[i] == "event" then return {"found", fields[i + 1]} end
end
return {"evicted"}
