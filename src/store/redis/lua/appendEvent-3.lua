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
    {"full", oldestUid}                   buffer full under "reject" and its oldest entry is not yet
                                          handled by some group
    {"accepted", streamId, evicted, lostGroup1, lostUid1, lostGroup2, lostUid2, ...}
                                          evicted = entries the bound pushed out; each (group, uid)
                                          pair is an evicted entry that group had never been handed.
                                          An evicted entry a group had been handed stays in its
                                          pending list: the consumer holding it may still deliver
                                          it; if it cannot, the claim that finds it gone counts it.
]]
local seenKey, streamKey, statsKey = KEYS[1], KEYS[2], KEYS[3]
local uid, body = ARGV[1], ARGV[2]
local capacity, policy = tonumber(ARGV[3]), ARGV[4]
local expireAt, now = tonumber(ARGV[5]), tonumber(ARGV[6])

--- @include "includes/groupPositions"

local existing = redis.call("HGET", seenKey, uid)
if existing then
  return {"duplicate", existing}
end

local lost = {}
local length = redis.call("XLEN", streamKey)
local excess = length - capacity + 1
if excess > 0 then
  local groups = groupPositions(streamKey)
  local victims = redis.call("XRANGE", streamKey, "-", "+", "COUNT", excess)
  for _, entry in ipairs(victims) do
    local id, fields = entry[1], entry[2]
    local victimUid = fields[2]
    for _, group in ipairs(groups) do
      local owed = owedBy(streamKey, group, id)
      if owed and policy == "reject" then
        return {"full", victimUid}
      end
      if owed == "unread" then
        lost[#lost + 1] = group.name
        lost[#lost + 1] = victimUid
        group.lostThrough = id
      end
    end
  end
  redis.call("XTRIM", streamKey, "MAXLEN", capacity - 1)
  -- A group that never read the evicted entries moves past them, with its read count, so that its
  -- lag (entries-added minus entries-read) counts only what is still in the buffer: every entry
  -- left is after the group's new position.
  local added
  for _, group in ipairs(groups) do
    if group.lostThrough then
      if not added then
        local info = redis.call("XINFO", "STREAM", streamKey)
        for i = 1, #info, 2 do
          if info[i] == "entries-added" then added = info[i + 1] end
        end
      end
      redis.call("XGROUP", "SETID", streamKey, group.name, group.lostThrough, "ENTRIESREAD", added - (capacity - 1))
    end
  end
  redis.call("HINCRBY", statsKey, "evicted", #victims)
  for i = 1, #lost, 2 do
    redis.call("HINCRBY", statsKey, "lost:" .. lost[i], 1)
  end
end

local id = redis.call("XADD", streamKey, "*", "uid", uid, "event", body)
redis.call("HSET", seenKey, uid, id)
local ttl = redis.call("PTTL", seenKey)
if ttl < 0 or now + ttl < expireAt then
  redis.call("PEXPIREAT", seenKey, expireAt)
end

local out = {"accepted", id, excess > 0 and excess or 0}
for _, v in ipairs(lost) do out[#out + 1] = v end
return out
