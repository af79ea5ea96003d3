--[[
  Records a uid as seen and appends its event to the ring buffer, in one atomic step: no crash
  point can leave a uid marked seen but not stored, or stored twice.

  Input:
    KEYS[1] seen hash of the uid's time bucket     (uid -> stream entry id)
    KEYS[2] events stream (the ring buffer)
    KEYS[3] stats hash                             (evicted, lost:<group> counters)

    ARGV[1] uid (decimal string)
    ARGV[2] canonical event, JSON
    ARGV[3] buffer capacity (entries)
    ARGV[4] overflow policy: "drop-oldest" | "reject"
    ARGV[5] absolute expiry of the seen hash, unix ms
    ARGV[6] now, unix ms

  Output:
    {"duplicate", streamId}               uid already seen in its bucket
    {"full", oldestUid}                   buffer full under "reject" and its oldest entry is unacknowledged by some group
    {"accepted", streamId, evicted, lostGroup1, lostUid1, lostGroup2, lostUid2, ...}
                                          evicted = entries the bound pushed out; each (group, uid)
                                          pair is an evicted entry that group had not acknowledged
]]
local seenKey, streamKey, statsKey = KEYS[1], KEYS[2], KEYS[3]
local uid, body = ARGV[1], ARGV[2]
local capacity, policy = tonumber(ARGV[3]), ARGV[4]
local expireAt, now = tonumber(ARGV[5]), tonumber(ARGV[6])

--- @include "includes/compareStreamIds"
--- @include "includes/unacknowledgedGroups"

local existing = redis.call("HGET", seenKey, uid)
if existing then
  return {"duplicate", existing}
end

local lost = {}
local length = redis.call("XLEN", streamKey)
local excess = length - capacity + 1
if excess > 0 then
  local victims = redis.call("XRANGE", streamKey, "-", "+", "COUNT", excess)
  for _, entry in ipairs(victims) do
    local id, fields = entry[1], entry[2]
    local victimUid = fields[2]
    for _, group in ipairs(unacknowledgedGroups(streamKey, id)) do
      if policy == "reject" then
        return {"full", victimUid}
      end
      lost[#lost + 1] = group
      lost[#lost + 1] = victimUid
    end
  end
  redis.call("HINCRBY", statsKey, "evicted", #victims)
  for i = 1, #lost, 2 do
    redis.call("HINCRBY", statsKey, "lost:" .. lost[i], 1)
  end
end

local id = redis.call("XADD", streamKey, "MAXLEN", capacity, "*", "uid", uid, "event", body)
redis.call("HSET", seenKey, uid, id)
local ttl = redis.call("PTTL", seenKey)
if ttl < 0 or now + ttl < expireAt then
  redis.call("PEXPIREAT", seenKey, expireAt)
end

local out = {"accepted", id, excess > 0 and excess or 0}
for _, v in ipairs(lost) do out[#out + 1] = v end
return out
