--[[
  Names of the consumer groups of a stream (one per destination, plus the logout publisher) that
  have not acknowledged the entry `id`: never handed it (last-delivered-id below it), or handed
  it but still pending.
  Requires: compareStreamIds
]]
local function unacknowledgedGroups(streamKey, id)
  local names = {}
  local groups = redis.call("XINFO", "GROUPS", streamKey)
  for _, group in ipairs(groups) do
    local name, lastDelivered, pending
    for i = 1, #group, 2 do
      local field = group[i]
      if field == "name" then name = group[i + 1]
      elseif field == "last-delivered-id" then lastDelivered = group[i + 1]
      elseif field == "pending" then pending = group[i + 1] end
    end
    if compareStreamIds(lastDelivered, id) < 0 then
      names[#names + 1] = name
    elseif pending > 0 and #redis.call("XPENDING", streamKey, name, id, id, 1) > 0 then
      names[#names + 1] = name
    end
  end
  return names
end
