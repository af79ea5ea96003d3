--[[
  revokeAndPublish-1.lua guarded by a once-only marker (a back-channel logout token's jti): the
  marker, the revocation and the message in one atomic step, so replicas sharing Redis accept a
  token once, and a refused replay leaves no trace.

  Input:
    KEYS[1] marker key (in the realm's hash tag, as the revocation key)
    KEYS[2] revocation key of the message's scope   (notBefore, epoch seconds)

    ARGV[1] notBefore, epoch seconds
    ARGV[2] absolute expiry of the revocation, unix ms (notBefore + REVOCATION_TTL)
    ARGV[3] now, unix ms
    ARGV[4] message, JSON
    ARGV[5] absolute expiry of the marker, unix ms (when a replay could no longer verify)
    ARGV[6..] channels to PUBLISH on (none in Redis Cluster: the caller SPUBLISHes)

  Output:
    -1 when the marker was already set (nothing done), else the number of subscribers reached
]]
local marker, key = KEYS[1], KEYS[2]
local notBefore, expireAt, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local message, markerExpireAt = ARGV[4], tonumber(ARGV[5])

if not redis.call("SET", marker, "1", "NX", "PXAT", markerExpireAt) then
  return -1
end

if expireAt > now then
  local current = tonumber(redis.call("GET", key))
  if current == nil or notBefore > current then
    redis.call("SET", key, notBefore, "PXAT", expireAt)
  end
end

local reached = 0
for i = 6, #ARGV do
  reached = reached + redis.call("PUBLISH", ARGV[i], message)
end
return reached
