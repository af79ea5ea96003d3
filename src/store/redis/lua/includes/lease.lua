--[[
  Leases, as replay jobs and catch-up sources hold them: a hash's "owner" holds it until its
  "leaseUntil" (unix ms); once that has passed (or it was let go: 0), another may take it over.
]]
local function leaseLapsed(leaseUntil, now)
  return tonumber(leaseUntil) < now
end

local function holdsLease(key, owner)
  return redis.call("HGET", key, "owner") == owner
end
