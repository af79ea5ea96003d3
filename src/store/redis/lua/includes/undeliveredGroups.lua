--[[
  Names of the consumer groups of a stream (one per forwarding destination) that have not yet
  been handed the entry `id`: their last-delivered-id is below it.
  Requires: compareStreamIds
]]
local function undeliveredGroups(streamKey, id)
  local names = {}
  local groups = redis.call("XINFO", "GROUPS", streamKey)
  for _, group in ipairs(groups) do
    local name, lastDelivered
    for i = 1, #group, 2 do
      if group[i] == "name" then name = group[i + 1] end
      if group[i] == "last-delivered-id" then lastDelivered = group[i + 1] end
    end
    if compareStreamIds(lastDelivered, id) < 0 then names[#names + 1] = name end
  end
  return names
end
