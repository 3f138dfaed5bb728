--[[
  Releases order ARGV[1]'s reservation of one SKU: its units go back to stock exactly once.

  KEYS[1] inv:{SKU}:stock, KEYS[2] inv:{SKU}:reservations, KEYS[3] inv:{SKU}:released

  Returns { outcome, available, qty }:
    'released'    qty units returned now
    'replay'      already released earlier (nothing returned this time)
    'unknown'     this order holds no reservation of this SKU
    'not_loaded'  no stock key; the caller rebuilds it from Postgres and retries
]]
local orderId = ARGV[1]

local held = redis.call('HGET', KEYS[2], orderId)
if not held then
  local released = redis.call('HGET', KEYS[3], orderId)
  if released then
    return { 'replay', tonumber(redis.call('GET', KEYS[1]) or -1), tonumber(string.match(released, '^(%d+)')) }
  end
  return { 'unknown', tonumber(redis.call('GET', KEYS[1]) or -1), 0 }
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  -- A reservation without a stock key is a partial loss; INCRBY would invent a stock of qty.
  return { 'not_loaded', -1, 0 }
end

local qty = tonumber(string.match(held, '^(%d+)'))
local now = redis.call('TIME')
redis.call('HDEL', KEYS[2], orderId)
redis.call('HSET', KEYS[3], orderId, qty .. ':' .. (now[1] * 1000 + math.floor(now[2] / 1000)))
return { 'released', redis.call('INCRBY', KEYS[1], qty), qty }
