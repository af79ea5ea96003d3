--[[
  Compares two stream ids "ms-seq" numerically: -1, 0 or 1.
  Lua numbers are doubles: ms (< 2^53) and seq are compared separately, never combined.
]]
local function compareStreamIds(a, b)
  local ams, aseq = string.match(a, "^(%d+)-(%d+)$")
  local bms, bseq = string.match(b, "^(%d+)-(%d+)$")
  ams, aseq, bms, bseq = tonumber(ams), tonumber(aseq), tonumber(bms), tonumber(bseq)
  if ams ~= bms then return ams < bms and -1 or 1 end
  if aseq ~= bseq then return aseq < bseq and -1 or 1 end
  return 0
end
