--[[
  Whether a ring buffer entry is known not to carry `tag` (src/store/tags.ts): after its "uid" and
  "event" fields (in the order appendEvents-4.lua writes them) come its tags, each a field "1" or
  "0". A tag the entry does not name is unknown (an entry written before the tag existed): not
  lacking, so a group reading `only` that tag is handed it. A nil tag (a group without a filter)
  lacks nothing.
]]
local function lacksTag(fields, tag)
  if tag == nil then return false end
  for i = 5, #fields, 2 do
    if fields[i] == tag then return fields[i + 1] == "0" end
  end
  return false
end
