--[[
  Saves a catch-up source's parts (each list's checkpoint, the last poll's outcome) and renews its
  lease, only while the caller still holds it (another replica may have taken it over after the
  lease lapsed); parts not given stay as they are.

  Input:
    KEYS[1] the source's hash  (<prefix>{sources}:<name>)

    ARGV[1] owner
    ARGV[2] the lease's expiry, unix ms (0: let it go)
    ARGV[3..] part name, value, part name, value... (kept as part:<name>)

  Output:
    1 when saved, 0 when the caller no longer holds the source
]]
--- @include "includes/lease"
if not holdsLease(KEYS[1], ARGV[1]) then
  return 0
end
redis.call("HSET", KEYS[1], "leaseUntil", ARGV[2])
for i = 3, #ARGV - 1, 2 do
  redis.call("HSET", KEYS[1], "part:" .. ARGV[i], ARGV[i + 1])
end
return 1
