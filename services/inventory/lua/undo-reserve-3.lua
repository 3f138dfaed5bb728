--[[
  Takes back a reservation nobody was told about (a failed order's compensation, or an orphan
  found by reconciliation): the units return to stock and, unlike release, no tombstone is left,
  so the same order id may be tried again.

  KEYS[1] inv:{SKU}:stock, KEYS[2] inv:{SKU}:reservations, KEYS[3] inv:{SKU}:released (unused,
  passed so that every script of a SKU names the same keys)
  ARGV[1] orderId

  Returns { outcome, available, qty }: 'undone' or 'unknown' (nothing held: nothing to do).
]]
local orderId = ARGV[1]
local held = redis.call('HGET', KEYS[2], orderId)
if not held or redis.call('EXISTS', KEYS[1]) == 0 then
  return { 'unknown', tonumber(redis.call('GET', KEYS[1]) or -1), 0 }
end
local qty = tonumber(string.match(held, '^(%d+)'))
redis.call('HDEL', KEYS[2], orderId)
return { 'undone', redis.call('INCRBY', KEYS[1], qty), qty }
