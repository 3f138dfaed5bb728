--[[
  Reserves ARGV[2] units of one SKU for order ARGV[1], at most once per order.

  KEYS[1] inv:{SKU}:stock         available units
  KEYS[2] inv:{SKU}:reservations  orderId -> "qty:createdAtMs"
  KEYS[3] inv:{SKU}:released      orderId -> "qty:releasedAtMs"

  Returns { outcome, available, qty }:
    'reserved'      units taken now; available is what remains
    'replay'        this order already holds qty units (the caller compares qty)
    'released'      this order's reservation was released; an order id is not reused
    'insufficient'  fewer than ARGV[2] units left; nothing changed
    'not_loaded'    no stock key: Redis lost it or never had it; the caller rebuilds it from Postgres

  The check and the decrement happen in one script, so no other reservation can run in between:
  that is what makes oversell impossible (compare the /lab naive and watch strategies).
]]
local orderId = ARGV[1]
local qty = tonumber(ARGV[2])

local held = redis.call('HGET', KEYS[2], orderId)
if held then
  return { 'replay', tonumber(redis.call('GET', KEYS[1]) or -1), tonumber(string.match(held, '^(%d+)')) }
end
local released = redis.call('HGET', KEYS[3], orderId)
if released then
  return { 'released', tonumber(redis.call('GET', KEYS[1]) or -1), tonumber(string.match(released, '^(%d+)')) }
end

local available = redis.call('GET', KEYS[1])
if not available then
  return { 'not_loaded', -1, 0 }
end
available = tonumber(available)
if available < qty then
  return { 'insufficient', available, 0 }
end

local now = redis.call('TIME')
local nowMs = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('HSET', KEYS[2], orderId, qty .. ':' .. nowMs)
return { 'reserved', redis.call('DECRBY', KEYS[1], qty), qty }
