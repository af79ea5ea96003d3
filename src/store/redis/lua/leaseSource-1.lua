--[[
  Takes or renews a catch-up source's lease (src/store/redis/sources.ts): when nobody holds it
  (never taken, let go, lapsed) or the caller already does. Answers the source as it is afterwards,
  whoever holds it, so that every replica sees each source's state as it ticks.

  Input:
    KEYS[1] the source's hash  (<prefix>{sources}:<name>: owner, leaseUntil, part:<part>...)

    ARGV[1] owner asking
    ARGV[2] now, unix ms
    ARGV[3] the lease's expiry, unix ms

  Output:
    the hash's fields and values, as HGETALL lists them
]]
--- @include "includes/lease"
local held = redis.call("HMGET", KEYS[1], "owner", "leaseUntil")
if not held[1] or held[1] == ARGV[1] or leaseLapsed(held[2], tonumber(ARGV[2])) then
  redis.call("HSET", KEYS[1], "owner", ARGV[1], "leaseUntil", ARGV[3])
end
return redis.call("HGETALL", KEYS[1])
