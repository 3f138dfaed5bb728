--[[
  Finish a rebuild: the next filter becomes the live one, bits and parameters together, in one
  atomic step (readers see the old filter or the new one, never a mix). Both RENAMEs stay in one
  Cluster slot because every key of a filter shares its hash tag.

  KEYS[1] live filter   KEYS[2] live parameters   KEYS[3] next filter   KEYS[4] next parameters
  ARGV[1] the builder's token

  Returns 1 when swapped, 0 when the rebuild had lost its lease (nothing changes).
]]
if redis.call('HGET', KEYS[4], 'builder') ~= ARGV[1] then return 0 end

-- UNLINK frees the old bitmap (up to 512 MB) in the background; RENAME over it would free it inline.
redis.call('UNLINK', KEYS[1])
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RENAME', KEYS[3], KEYS[1])
  redis.call('PERSIST', KEYS[1])
end
redis.call('RENAME', KEYS[4], KEYS[2])
redis.call('PERSIST', KEYS[2])
redis.call('HDEL', KEYS[2], 'builder')
local now = redis.call('TIME')
redis.call('HSET', KEYS[2], 'built_at', tostring(now[1] * 1000 + math.floor(now[2] / 1000)))
return 1
