--[[
  Records one logout's revocation and publishes its message, in one atomic step: a subscriber that
  re-checks revocation state on receipt always finds it, and a crash cannot publish without recording.

  Input:
    KEYS[1] revocation key of the message's scope   (notBefore, epoch seconds)

    ARGV[1] notBefore, epoch seconds (capped at the second after now)
    ARGV[2] REVOCATION_TTL, ms: the revocation expires that long after its notBefore
    ARGV[3] now, unix ms
    ARGV[4] message, JSON
    ARGV[5..] channels to PUBLISH on (none in Redis Cluster, where the caller SPUBLISHes: a script
              may only touch its own slot, and the channels hash elsewhere)

  Output:
    number of subscribers the message reached
]]
--- @include "includes/revokeAndPublish"

return revokeAndPublish(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], 5)
