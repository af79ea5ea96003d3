--[[
  Takes over one running job: one whose lease lapsed (its replica died or hangs), or one the caller
  held before a restart under the same name that it is not running now. Running jobs are few: the
  set is read whole.

  Input:
    KEYS[1] the running jobs' set  (<prefix>{jobs}:running)

    ARGV[1] owner taking it over
    ARGV[2] now, unix ms
    ARGV[3] the new lease's expiry, unix ms
    ARGV[4] prefix of job hashes (<prefix>{jobs}:job:, same hash tag)
    ARGV[5..] ids of the jobs the caller runs now (not taken again)

  Output:
    {id, data} of the job taken over, or nil when there is none
]]
local owner, now = ARGV[1], tonumber(ARGV[2])
local runningHere = {}
for i = 5, #ARGV do runningHere[ARGV[i]] = true end
for _, id in ipairs(redis.call("SMEMBERS", KEYS[1])) do
  local key = ARGV[4] .. id
  local job = redis.call("HMGET", key, "owner", "leaseUntil", "data")
  if not job[3] then
    redis.call("SREM", KEYS[1], id)
  elseif tonumber(job[2]) < now or (job[1] == owner and not runningHere[id]) then
    redis.call("HSET", key, "owner", owner, "leaseUntil", ARGV[3])
    return {id, job[3]}
  end
end
return nil
