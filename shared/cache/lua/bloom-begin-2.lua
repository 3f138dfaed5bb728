--[[
  Start a rebuild: create the next filter, empty, with the parameters the rebuild wants.

  The next filter's parameter hash doubles as the rebuild's lease: it names its builder and
  expires unless each fill call renews it (bloom-add-4.lua), so a builder that dies mid-way only
  blocks other rebuilds for one lease. While it exists, every normal add writes to it too.

  KEYS[1] next filter        bloom:{products}:next
  KEYS[2] next parameters    bloom:{products}:next-meta
  ARGV[1] the builder's token
  ARGV[2] lease in milliseconds
  ARGV[3] backend: 'bitmap' or 'redisbloom'
  ARGV[4] bits (m)   ARGV[5] hashes (k)   ARGV[6] capacity (n)   ARGV[7] error rate (p)

  Returns 1 when started, 0 when another rebuild holds the lease.
]]
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('UNLINK', KEYS[1])
redis.call('HSET', KEYS[2], 'backend', ARGV[3], 'bits', ARGV[4], 'hashes', ARGV[5],
  'capacity', ARGV[6], 'error_rate', ARGV[7], 'inserted', 0, 'builder', ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if ARGV[3] == 'redisbloom' then
  redis.call('BF.RESERVE', KEYS[1], ARGV[7], ARGV[6], 'NONSCALING')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
