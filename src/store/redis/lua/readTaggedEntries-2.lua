--[[
  Reads new entries for a group created `only` for a tag, as XREADGROUP does (without BLOCK: a
  script cannot block), and acknowledges at once those known not to carry the tag (includes/lacksTag),
  counting them in the stats hash: they never travel to the relay. The others are returned and stay
  pending as after any XREADGROUP.

  Input:
    KEYS[1] events stream (the ring buffer)
    KEYS[2] stats hash                                      (skipped:<group> counter)

    ARGV[1] group
    ARGV[2] consumer
    ARGV[3] count: entries read at most, returned or acknowledged
    ARGV[4] the tag the group reads only

  Output:
    {read, newest, {id, fields}, ...}
        read    entries read from the stream by this call
        newest  when read is 0, the id of the stream's newest entry ("0-0" when empty): anything
                appended later has a greater id, so the caller can block on XREAD after it
        then the entries returned
]]
local stream, stats, group, consumer, count, tag = KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4]

--- @include "includes/lacksTag"

local reply = redis.call("XREADGROUP", "GROUP", group, consumer, "COUNT", count, "STREAMS", stream, ">")
if not reply then
  local newest = redis.call("XREVRANGE", stream, "+", "-", "COUNT", 1)[1]
  return {0, newest and newest[1] or "0-0"}
end
local entries = reply[1][2]
local out, skipped = {#entries, ""}, {}
for _, entry in ipairs(entries) do
  if lacksTag(entry[2], tag) then
    skipped[#skipped + 1] = entry[1]
  else
    out[#out + 1] = entry
  end
end
if #skipped > 0 then
  redis.call("XACK", stream, group, unpack(skipped))
  redis.call("HINCRBY", stats, "skipped:" .. group, #skipped)
end
return out
