--[[
  The bytes a ring buffer entry counts against the byte bound: its event JSON (fields in the order
  appendEvents-4.lua writes them: uid, event, then its tags). streamBytes(streamKey) adds them up over a
  whole stream, a page at a time: done once, for a stream written before the byte bound existed.
]]
local function entryBytes(fields)
  return #fields[4]
end

local function streamBytes(streamKey)
  local total, start = 0, "-"
  repeat
    local page = redis.call("XRANGE", streamKey, start, "+", "COUNT", 1000)
    for _, entry in ipairs(page) do
      total = total + entryBytes(entry[2])
    end
    if #page > 0 then start = "(" .. page[#page][1] end
  until #page < 1000
  return total
end
