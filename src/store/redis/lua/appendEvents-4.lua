--[[
  Appends a batch of events (those that reached the relay within one event-loop turn) to the ring
  buffer, one after the other: for each, records its uid as seen and appends its event in one
  step, so no crash point leaves a uid marked seen but not stored, or stored twice. A uid twice in
  one batch is a duplicate the second time, as in two batches. The buffer is bounded by entries
  and by bytes (of each entry's event JSON, kept in the stats hash's "bytes"): room is made from
  the oldest end until both bounds hold with the new entry, which is always kept (alone it may
  exceed the byte bound: the configuration makes that share hold a BODY_LIMIT body).

  Input:
    KEYS[1] prefix of the seen hashes of this partition    (<prefix>{pN}:seen:<bucket>, uid -> stream id)
    KEYS[2] events stream (the ring buffer)
    KEYS[3] stats hash                                      (evicted, lost:<group> counters; bytes)
    KEYS[4] groups' filters hash                            (group -> the tag it reads only: it
                                                            owes no entry known to lack the tag)

    ARGV[1] buffer capacity (entries)
    ARGV[2] buffer byte bound (bytes of event JSON)
    ARGV[3] overflow policy: "drop-oldest" | "reject"
    ARGV[4] now, unix ms
    ARGV[5 + 8k .. 12 + 8k] for the k-th event: uid (decimal string), time bucket of the uid,
            absolute expiry of its seen hash (unix ms), its tags (",a=1,b=0,", "" when none are
            known; written as fields a "1", b "0" after uid and event), canonical event JSON, then
            its dedup key, that key's time bucket and expiry: the uid, its bucket and expiry again,
            or another sender's id (never decimal), remembered beside the uid under its own time

  Output, one entry per event, in order:
    {"duplicate", streamId}               dedup key (the uid) already seen in its bucket
    {"full", oldestUid}                   buffer full under "reject" and its oldest entry is not yet
                                          handled by some group: nothing stored
    streamId                              stored, and the bounds pushed nothing out (the common
                                          answer, kept small: one per event)
    {"accepted", streamId, evicted, lostGroup1, lostUid1, ...}
                                          evicted = entries the bounds pushed out; each (group, uid)
                                          pair is an evicted entry that group had never been handed.
                                          An evicted entry a group had been handed stays in its
                                          pending list: the consumer holding it may still deliver
                                          it; if it cannot, the claim that finds it gone counts it.
]]
local seenPrefix, streamKey, statsKey, onlyKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local capacity, maxBytes, policy, now = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])

--- @include "includes/groupPositions"
--- @include "includes/lacksTag"
--- @include "includes/entryBytes"

local length = redis.call("XLEN", streamKey)
-- The bytes of the entries in the buffer. Absent on a stream written by a relay before the byte
-- bound: counted once, here (one pass over the stream), and kept current from then on.
local bytes = tonumber(redis.call("HGET", statsKey, "bytes"))
if bytes == nil then
  bytes = streamBytes(streamKey)
end
-- Read once, when a bound first bites; kept current below as groups move.
local groups, added

-- Makes room for an entry of `size` bytes: pushes out the oldest entries until the count and the
-- byte bound both hold with it (or the buffer is empty).
local function makeRoom(size)
  local excess = length - capacity + 1
  local function overBound(victims, freed)
    return victims < length and (victims < excess or bytes - freed + size > maxBytes)
  end
  if not overBound(0, 0) then return 0, {} end
  if not groups then
    groups = groupPositions(streamKey)
    for _, group in ipairs(groups) do
      group.only = redis.call("HGET", onlyKey, group.name) or nil
    end
  end
  local lost = {}
  local victims, freed, start = 0, 0, "-"
  while overBound(victims, freed) do
    local page = redis.call("XRANGE", streamKey, start, "+", "COUNT", math.max(excess - victims, 64))
    for _, entry in ipairs(page) do
      if not overBound(victims, freed) then break end
      local id, fields = entry[1], entry[2]
      local victimUid = fields[2]
      for _, group in ipairs(groups) do
        local owed = not lacksTag(fields, group.only) and owedBy(streamKey, group, id)
        if owed and policy == "reject" then
          return nil, victimUid
        end
        if owed == "unread" then
          lost[#lost + 1] = group.name
          lost[#lost + 1] = victimUid
          group.lostThrough = id
        end
      end
      victims = victims + 1
      freed = freed + entryBytes(fields)
    end
    start = "(" .. page[#page][1]
  end
  redis.call("XTRIM", streamKey, "MAXLEN", length - victims)
  length = length - victims
  bytes = bytes - freed
  -- A group that never read the evicted entries moves past them, with its read count, so that its
  -- lag (entries-added minus entries-read) counts only what is still in the buffer: every entry
  -- left is after the group's new position.
  for _, group in ipairs(groups) do
    if group.lostThrough then
      if not added then
        local info = redis.call("XINFO", "STREAM", streamKey)
        for i = 1, #info, 2 do
          if info[i] == "entries-added" then added = info[i + 1] end
        end
      end
      redis.call("XGROUP", "SETID", streamKey, group.name, group.lostThrough, "ENTRIESREAD", added - length)
      group.lastDelivered, group.lostThrough = group.lostThrough, nil
    end
  end
  redis.call("HINCRBY", statsKey, "evicted", victims)
  for i = 1, #lost, 2 do
    redis.call("HINCRBY", statsKey, "lost:" .. lost[i], 1)
  end
  return victims, lost
end

-- Each seen hash's expiry is set once per batch, after the loop: the latest any of its events needs.
local expiries = {}
local function remember(seenKey, member, id, expireAt)
  redis.call("HSET", seenKey, member, id)
  if not expiries[seenKey] or expiries[seenKey] < expireAt then expiries[seenKey] = expireAt end
end

-- A batch's events mostly share one tags text: each distinct one is parsed once.
local parsedTags = {}
local function tagFields(tags)
  local fields = parsedTags[tags]
  if not fields then
    fields = {}
    for tag, on in string.gmatch(tags, "([^,=]+)=([01])") do
      fields[#fields + 1] = tag
      fields[#fields + 1] = on
    end
    parsedTags[tags] = fields
  end
  return fields
end

local out = {}
for k = 5, #ARGV, 8 do
  local uid, seenKey, expireAt, tags, body = ARGV[k], seenPrefix .. ARGV[k + 1], tonumber(ARGV[k + 2]), ARGV[k + 3], ARGV[k + 4]
  local dedupKey, dedupSeen, dedupExpireAt = ARGV[k + 5], seenPrefix .. ARGV[k + 6], tonumber(ARGV[k + 7])
  local existing = redis.call("HGET", dedupSeen, dedupKey)
  if existing then
    out[#out + 1] = {"duplicate", existing}
  else
    local evicted, lost = makeRoom(#body)
    if evicted == nil then
      out[#out + 1] = {"full", lost}
    else
      local entry = {"uid", uid, "event", body}
      for _, field in ipairs(tagFields(tags)) do entry[#entry + 1] = field end
      local id = redis.call("XADD", streamKey, "*", unpack(entry))
      length = length + 1
      bytes = bytes + #body
      if added then added = added + 1 end
      remember(seenKey, uid, id, expireAt)
      if dedupKey ~= uid then remember(dedupSeen, dedupKey, id, dedupExpireAt) end
      if evicted == 0 then
        out[#out + 1] = id
      else
        local result = {"accepted", id, evicted}
        for _, v in ipairs(lost) do result[#result + 1] = v end
        out[#out + 1] = result
      end
    end
  end
end
for seenKey, expireAt in pairs(expiries) do
  local ttl = redis.call("PTTL", seenKey)
  if ttl < 0 or now + ttl < expireAt then
    redis.call("PEXPIREAT", seenKey, expireAt)
  end
end
redis.call("HSET", statsKey, "bytes", bytes)
return out
