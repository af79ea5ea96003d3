--[[
  Reads new entries for the logout group, as XREADGROUP does (without BLOCK: a script cannot
  block), and acknowledges at once those whose "logout" field is "0": events that end no session
  never travel to the relay. Entries tagged "1", or not tagged (appended by a relay that predates
  the tag), are returned and stay pending as after any XREADGROUP.

  Input:
    KEYS[1] events stream (the ring buffer)

    ARGV[1] group
    ARGV[2] consumer
    ARGV[3] count: entries read at most, returned or acknowledged

  Output:
    {read, newest, {id, fields}, ...}
        read    entries read from the stream by this call
        newest  when read is 0, the id of the stream's newest entry ("0-0" when empty): anything
                appended later has a greater id, so the caller can block on XREAD after it
        then the entries returned
]]
local stream, group, consumer, count = KEYS[1], ARGV[1], ARGV[2], ARGV[3]

--- @include "includes/endsNothing"

local reply = redis.call("XREADGROUP", "GROUP", group, consumer, "COUNT", count, "STREAMS", stream, ">")
if not reply then
  local newest = redis.call("XREVRANGE", stream, "+", "-", "COUNT", 1)[1]
  return {0, newest and newest[1] or "0-0"}
end
local entries = reply[1][2]
local out, skipped = {#entries, ""}, {}
for _, entry in ipairs(entries) do
  if endsNothing(entry[2]) then
    skipped[#skipped + 1] = entry[1]
  else
    out[#out + 1] = entry
  end
end
if #skipped > 0 then
  redis.call("XACK", stream, group, unpack(skipped))
end
return out
