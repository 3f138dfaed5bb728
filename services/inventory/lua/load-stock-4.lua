--[[
  Rebuilds one SKU's Redis state from Postgres, only when its stock key is missing: live stock is
  never overwritten (two instances starting together, or a load racing live reservations).

  KEYS[1] inv:{SKU}:stock, KEYS[2] inv:{SKU}:reservations, KEYS[3] inv:{SKU}:released,
  KEYS[4] inv:{SKU}:total
  ARGV[1] available units (Postgres total minus reserved quantities)
  ARGV[2] the Postgres total it was computed from (restock-2.lua adds only what is beyond it)
  ARGV[3] n, then n pairs orderId, "qty:createdAtMs" of live reservations
  then m, then m pairs orderId, "qty:releasedAtMs" of released ones

  Returns 1 when loaded, 0 when the stock key already existed.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
-- Leftovers of a partial loss would disagree with Postgres: Postgres is the record here.
redis.call('DEL', KEYS[2], KEYS[3])
local i = 3
for _, key in ipairs({ KEYS[2], KEYS[3] }) do
  local n = tonumber(ARGV[i])
  for j = 1, n do
    redis.call('HSET', key, ARGV[i + 2 * j - 1], ARGV[i + 2 * j])
  end
  i = i + 2 * n + 1
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[4], ARGV[2])
return 1
