--[[
  Where each consumer group of a stream stands (one group per destination, plus each
  publisher): its name, last-delivered-id and number of pending entries, read once per call.
  owedBy(group, id) says whether the group still has to handle entry `id`: never handed it
  ("unread"), or handed it and not acknowledged it ("pending"); nil when it is done with it.
]]
--- @include "includes/compareStreamIds"

local function groupPositions(streamKey)
  local out = {}
  for _, raw in ipairs(redis.call("XINFO", "GROUPS", streamKey)) do
    local group = {}
    for i = 1, #raw, 2 do
      local field = raw[i]
      if field == "name" then group.name = raw[i + 1]
      elseif field == "last-delivered-id" then group.lastDelivered = raw[i + 1]
      elseif field == "pending" then group.pending = raw[i + 1] end
    end
    out[#out + 1] = group
  end
  return out
end

local function owedBy(streamKey, group, id)
  if compareStreamIds(group.lastDelivered, id) < 0 then return "unread" end
  if group.pending > 0 and #redis.call("XPENDING", streamKey, group.name, id, id, 1) > 0 then return "pending" end
  return nil
end
