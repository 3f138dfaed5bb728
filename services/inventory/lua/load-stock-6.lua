--[[
  Rebuilds one SKU's Redis state from Postgres, only when its stock key is missing: live stock is
  never overwritten (two instances starting together, or a load racing live reservations).

  KEYS[1] inv:{SKU}:stock, KEYS[2] inv:{SKU}:reservations, KEYS[3] inv:{SKU}:released,
  KEYS[4] inv:{SKU}:total
  KEYS[5] inv:{SKU}:staged:<token>:reserved   Postgres' live reservations, orderId -> "qty:createdAtMs"
  KEYS[6] inv:{SKU}:staged:<token>:released   Postgres' released ones (within the retention), orderId -> "qty:releasedAtMs"
  ARGV[1] available units (Postgres total minus reserved quantities)
  ARGV[2] the Postgres total it was computed from (restock-2.lua adds only what is beyond it)

  The caller writes Postgres' record into the two staged hashes first, a bounded chunk per
  command (stock-store.ts), so that no call carries a SKU's whole history as arguments; this
  script then moves them into place in one step (RENAME is O(1)) or, when the stock key exists,
  throws them away.

  Returns 1 when loaded, 0 when the stock key already existed.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('DEL', KEYS[5], KEYS[6])
  return 0
end
-- Leftovers of a partial loss would disagree with Postgres: Postgres is the record here.
redis.call('DEL', KEYS[2], KEYS[3])
for i = 2, 3 do
  if redis.call('EXISTS', KEYS[i + 3]) == 1 then
    redis.call('RENAME', KEYS[i + 3], KEYS[i])
    redis.call('PERSIST', KEYS[i])
  end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[4], ARGV[2])
return 1
