--[[
  revokeAndPublish-1.lua guarded by a once-only marker (a back-channel logout token's jti): the
  marker, the revocation and the message in one atomic step, so replicas sharing Redis accept a
  token once, and a refused replay leaves no trace.

  Input:
    KEYS[1] marker key (in the realm's hash tag, as the revocation key)
    KEYS[2] revocation key of the message's scope   (notBefore, epoch seconds)

    ARGV[1] notBefore, epoch seconds (capped at the second after now)
    ARGV[2] REVOCATION_TTL, ms: the revocation expires that long after its notBefore
    ARGV[3] now, unix ms
    ARGV[4] message, JSON
    ARGV[5] absolute expiry of the marker, unix ms (when a replay could no longer verify)
    ARGV[6..] channels to PUBLISH on (none in Redis Cluster: the caller SPUBLISHes)

  Output:
    -1 when the marker was already set (nothing done), else the number of subscribers reached
]]
--- @include "includes/revokeAndPublish"

if not redis.call("SET", KEYS[1], "1", "NX", "PXAT", tonumber(ARGV[5])) then
  return -1
end
return revokeAndPublish(KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], 6)
