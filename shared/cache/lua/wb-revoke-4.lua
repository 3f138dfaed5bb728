--[[
  Write-behind, taking back an identified increment (a sale whose order failed afterwards): the
  opposite of wb-record-5.lua for one once-key, in one atomic step.

  KEYS[1] the shard's pending hash          e.g. wb:{s07}:pending
  KEYS[2] the shard's identified increments e.g. wb:{s07}:pending:once
  KEYS[3] the shard's ranking               e.g. wb:{s07}:rank:sold
  KEYS[4] the idempotency marker            e.g. wb:{s07}:once:sale:SKU-1:order-9
  ARGV[1] hash field "<counter>:<id>"
  ARGV[2] the increment that was recorded (a positive integer)
  ARGV[3] ranking member ("" = no ranking)
  ARGV[4] the once-key

  Returns
    0  'absent'     no marker: Redis never counted it (or forgot it); nothing changed
    1  'withdrawn'  it was still pending: removed as if never recorded
    2  'revoked'    a flush had claimed it already: a negative entry under the once-key goes with
                    the next batch, and the database takes the increment back when it applies it
  In both last cases the marker is gone (the same key may count again) and the ranking is lowered.
]]
if redis.call('EXISTS', KEYS[4]) == 0 then
  return 0
end
redis.call('DEL', KEYS[4])
local by = tonumber(ARGV[2])
local outcome = 2
local listed = redis.call('HGET', KEYS[2], ARGV[4])
if listed and tonumber(string.match(listed, '^(-?%d+)')) > 0 then
  redis.call('HDEL', KEYS[2], ARGV[4])
  outcome = 1
else
  redis.call('HSET', KEYS[2], ARGV[4], '-' .. by .. ':' .. ARGV[1])
end
if redis.call('HINCRBY', KEYS[1], ARGV[1], -by) == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
if ARGV[3] ~= '' and tonumber(redis.call('ZINCRBY', KEYS[3], -by, ARGV[3])) <= 0 then
  redis.call('ZREM', KEYS[3], ARGV[3])
end
return outcome
