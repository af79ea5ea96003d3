--[[
  revokeAndPublish(key, notBefore, ttl, now, message, firstChannel): records a revocation,
  keeping the latest notBefore (which also expires last, so the key's expiry moves with it), then
  PUBLISHes `message` on ARGV[firstChannel..]. The notBefore is capped at the second after `now`
  (the message's own is already capped at the second after its event arrived,
  src/logout/revocation.ts): a revocation never reaches tokens issued after it was recorded,
  whoever made the message. A revocation already past its expiry (notBefore + ttl) protects
  nothing (tokens issued before it have expired): not recorded, so replaying old events leaves no
  state behind. Returns the number of subscribers reached.
]]
local function revokeAndPublish(key, notBefore, ttl, now, message, firstChannel)
  notBefore = math.min(notBefore, math.floor(now / 1000) + 1)
  local expireAt = notBefore * 1000 + ttl
  if expireAt > now then
    local current = tonumber(redis.call("GET", key))
    if current == nil or notBefore > current then
      redis.call("SET", key, notBefore, "PXAT", expireAt)
    end
  end
  local reached = 0
  for i = firstChannel, #ARGV do
    reached = reached + redis.call("PUBLISH", ARGV[i], message)
  end
  return reached
end
