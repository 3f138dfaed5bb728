--[[
  Abandon a rebuild (its id source failed): drop the next filter if this builder still holds it.

  KEYS[1] next filter   KEYS[2] next parameters
  ARGV[1] the builder's token

  Returns 1 when dropped, 0 when the lease had already passed to someone else.
]]
if redis.call('HGET', KEYS[2], 'builder') ~= ARGV[1] then return 0 end
redis.call('UNLINK', KEYS[1], KEYS[2])
return 1
