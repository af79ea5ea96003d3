--[[
  Records a new replay or redrive job, running and held by its creator (src/store/redis/jobs.ts).

  Input:
    KEYS[1] the job's hash        (<prefix>{jobs}:job:<id>: data, owner, leaseUntil)
    KEYS[2] the running jobs' set  (<prefix>{jobs}:running)

    ARGV[1] job id
    ARGV[2] data (JSON, opaque)
    ARGV[3] owner (the consumer name of the replica running it)
    ARGV[4] lease expiry, unix ms

  Output:
    1
]]
redis.call("HSET", KEYS[1], "data", ARGV[2], "owner", ARGV[3], "leaseUntil", ARGV[4])
redis.call("SADD", KEYS[2], ARGV[1])
return 1
