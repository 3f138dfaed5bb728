--[[
  A Bloom filter's parameters and the memory its bits take.

  KEYS[1] the filter   KEYS[2] its parameters

  Returns { backend, bits, hashes, capacity, error_rate, inserted, built_at, bytes } (strings),
  or an empty list when the filter does not exist.
]]
local meta = redis.call('HMGET', KEYS[2], 'backend', 'bits', 'hashes', 'capacity', 'error_rate', 'inserted', 'built_at')
if not meta[1] then return {} end
local bytes = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  if meta[1] == 'redisbloom' then
    bytes = redis.call('BF.INFO', KEYS[1], 'SIZE')
    if type(bytes) == 'table' then bytes = bytes[1] end
  else
    bytes = redis.call('STRLEN', KEYS[1])
  end
end
meta[8] = tostring(bytes)
return meta
