--[[
  Write a freshly loaded value back to the cache, unless the entry was invalidated meanwhile.

  The race it closes: a reader misses, loads the row from the database, and is slow; a writer
  commits a newer row and deletes the cache entry; the slow reader now writes its old row back and
  the cache serves it until the TTL runs out. Every invalidation increments a version counter, the
  reader remembers the version it saw before loading, and this script refuses the write when the
  counter moved. Check and write are one atomic step, so no invalidation can fall between them.

  KEYS[1] the entry                 e.g. user:{42}:profile
  KEYS[2] the entity's version      e.g. user:{42}:ver  (same hash tag, same Cluster slot)
  ARGV[1] the version the reader saw before loading ("0" when the counter did not exist)
  ARGV[2] the value to store
  ARGV[3] TTL in milliseconds

  Returns 1 when written, 0 when refused.
]]
local current = redis.call('GET', KEYS[2]) or '0'
if current ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
