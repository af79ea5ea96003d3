--[[
  revokeAndPublish(key, notBefore, expireAt, now, message, firstChannel): records a revocation,
  keeping the latest notBefore (which also expires last, so the key's expiry moves with it), then
  PUBLISHes `message` on ARGV[firstChannel..]. A revocation already past its expiry protects
  nothing (tokens issued before it have expired): not recorded, so replaying old events leaves no
  state behind. Returns the number of subscribers reached.
]]
local function revokeAndPublish(key, notBefore, expireAt, now, message, firstChannel)
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
