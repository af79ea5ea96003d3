--[[
  Whether a ring buffer entry's event is known to end no session: its "logout" field is "0". The
  logout group is never handed such an entry and never owes it. Fields are in the order
  appendEvents-3.lua writes them: uid, event, logout (absent on entries of older relays: unknown,
  so not "nothing").
]]
local function endsNothing(fields)
  return fields[6] == "0"
end
