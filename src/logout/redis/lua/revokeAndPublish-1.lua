--[[
  Records one logout's revocation and publishes its message, in one atomic step: a subscriber that
  re-checks revocation state on receipt always finds it, and a crash cannot publish without recording.

  Input:
    KEYS[1] revocation key of the message's scope   (notBefore, epoch seconds)

    ARGV[1] notBefore, epoch seconds
    ARGV[2] absolute expiry of the revocation, unix ms (notBefore + REVOCATION_TTL)
    ARGV[3] now, unix ms
    ARGV[4] message, JSON
    ARGV[5..] channels to PUBLISH on (none in Redis Cluster, where the caller SPUBLISHes: a script
              may only touch its own slot, and the channels hash elsewhere)

  Output:
    number of subscribers the message reached
]]
local key = KEYS[1]
local notBefore, expireAt, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local message = ARGV[4]

-- A revocation already past its expiry protects nothing (tokens issued before it have expired):
-- not recorded, so replaying old events leaves no state behind.
if expireAt > now then
  -- The latest notBefore wins; it also expires last, so the key's expiry moves with it.
  local current = tonumber(redis.call("GET", key))
  if current == nil or notBefore > current then
    redis.call("SET", key, notBefore, "PXAT", expireAt)
  end
end

local reached = 0
for i = 5, #ARGV do
  reached = reached + redis.call("PUBLISH", ARGV[i], message)
end
return reached
