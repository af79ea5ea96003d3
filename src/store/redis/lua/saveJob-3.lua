--[[
  Saves a job's data and renews its lease, only while the caller still holds it (another replica
  may have taken it over after the lease lapsed). A finished job leaves the running set for the
  finished one, which keeps the newest `keep` jobs: older ones are deleted.

  Input:
    KEYS[1] the job's hash            (data, owner, leaseUntil)
    KEYS[2] the running jobs' set
    KEYS[3] the finished jobs' sorted set (score: when finished, unix ms)

    ARGV[1] job id
    ARGV[2] data (JSON, opaque)
    ARGV[3] owner
    ARGV[4] "1" still running, "0" finished
    ARGV[5] lease expiry, unix ms (0: let it go)
    ARGV[6] now, unix ms
    ARGV[7] finished jobs kept
    ARGV[8] prefix of job hashes (<prefix>{jobs}:job:, same hash tag)

  Output:
    1 when saved, 0 when the caller no longer holds the job
]]
if redis.call("HGET", KEYS[1], "owner") ~= ARGV[3] then
  return 0
end
redis.call("HSET", KEYS[1], "data", ARGV[2], "leaseUntil", ARGV[5])
if ARGV[4] == "0" then
  redis.call("SREM", KEYS[2], ARGV[1])
  redis.call("ZADD", KEYS[3], ARGV[6], ARGV[1])
  local excess = redis.call("ZCARD", KEYS[3]) - tonumber(ARGV[7])
  if excess > 0 then
    for _, old in ipairs(redis.call("ZRANGE", KEYS[3], 0, excess - 1)) do
      redis.call("DEL", ARGV[8] .. old)
    end
    redis.call("ZREMRANGEBYRANK", KEYS[3], 0, excess - 1)
  end
end
return 1
