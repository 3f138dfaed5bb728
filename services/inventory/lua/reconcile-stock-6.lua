--[[
  Compares one SKU's Redis state with Postgres' record and, unless ARGV[1] is '1' (dry run),
  repairs Redis in the same atomic step, so live reservations cannot slip in between the check
  and the repair. Rules (docs/patterns/idempotency.md):
    - released anywhere wins: a release is never undone;
    - a reservation Postgres holds must be in Redis;
    - a reservation only Redis holds is an orphan (its request died before Postgres recorded it,
      so nobody was told it succeeded) once older than the grace period; younger ones may still
      be in flight and are kept;
    - available = total - every reservation Redis holds after the repair.

  KEYS[1] inv:{SKU}:stock, KEYS[2] inv:{SKU}:reservations, KEYS[3] inv:{SKU}:released,
  KEYS[4] inv:{SKU}:total (the Postgres total the live stock includes)
  KEYS[5] inv:{SKU}:staged:<token>:reserved   reserved in Postgres, orderId -> "qty:createdAtMs"
  KEYS[6] inv:{SKU}:staged:<token>:released   released in Postgres, orderId -> "qty:releasedAtMs"
          (written by the caller a bounded chunk per command, deleted here)
  ARGV[1] '1' = report only, ARGV[2] total, ARGV[3] grace ms
  ARGV[4] retention ms: released entries older than this are dropped from Redis too (Postgres
          prunes its rows after the same time); 0 keeps them

  Returns JSON { before, after, changes = [{ kind, orderId, qty }] }; `released_in_redis`
  changes tell the caller to mark those Postgres rows released.
]]
local dryRun = ARGV[1] == '1'
local total = tonumber(ARGV[2])
-- A restock that Postgres committed after the caller read the total, and whose script ran
-- already, is included in the live stock: keep the larger total.
local included = tonumber(redis.call('GET', KEYS[4]) or '0')
if included > total then total = included end
local grace = tonumber(ARGV[3])
local now = redis.call('TIME')
local nowMs = now[1] * 1000 + math.floor(now[2] / 1000)

local function qtyOf(value) return tonumber(string.match(value, '^(%d+)')) end
local function msOf(value) return tonumber(string.match(value, ':(%d+)$')) or 0 end

local function toMap(flat)
  local map = {}
  for j = 1, #flat, 2 do map[flat[j]] = flat[j + 1] end
  return map
end
local pgReserved = toMap(redis.call('HGETALL', KEYS[5]))
local pgReleased = toMap(redis.call('HGETALL', KEYS[6]))
redis.call('DEL', KEYS[5], KEYS[6])
local retention = tonumber(ARGV[4])

local held = toMap(redis.call('HGETALL', KEYS[2]))
local released = toMap(redis.call('HGETALL', KEYS[3]))
local before = redis.call('GET', KEYS[1])
local changes = {}
local function change(kind, orderId, qty) changes[#changes + 1] = { kind = kind, orderId = orderId, qty = qty } end

for orderId, value in pairs(pgReleased) do
  if held[orderId] then
    change('released_in_postgres', orderId, qtyOf(held[orderId]))
    held[orderId] = nil
    if not dryRun then redis.call('HDEL', KEYS[2], orderId) end
  end
  if not released[orderId] then
    if not dryRun then redis.call('HSET', KEYS[3], orderId, value) end
    released[orderId] = value
  end
end

for orderId, value in pairs(pgReserved) do
  if released[orderId] then
    change('released_in_redis', orderId, qtyOf(value))
  elseif not held[orderId] then
    change('missing_in_redis', orderId, qtyOf(value))
    held[orderId] = value
    if not dryRun then redis.call('HSET', KEYS[2], orderId, value) end
  elseif qtyOf(held[orderId]) ~= qtyOf(value) then
    change('quantity_differs', orderId, qtyOf(value))
    held[orderId] = value
    if not dryRun then redis.call('HSET', KEYS[2], orderId, value) end
  end
end

local reservedSum = 0
for orderId, value in pairs(held) do
  if not pgReserved[orderId] and msOf(value) < nowMs - grace then
    change('orphan', orderId, qtyOf(value))
    if not dryRun then redis.call('HDEL', KEYS[2], orderId) end
  else
    reservedSum = reservedSum + qtyOf(value)
  end
end

local after = total - reservedSum
if before == false or tonumber(before) ~= after then
  change('available', '', after)
  if not dryRun then redis.call('SET', KEYS[1], after) end
end
if not dryRun then redis.call('SET', KEYS[4], total) end

if retention > 0 and not dryRun then
  for orderId, value in pairs(released) do
    if not pgReleased[orderId] and msOf(value) < nowMs - retention then redis.call('HDEL', KEYS[3], orderId) end
  end
end

return cjson.encode({ before = before and tonumber(before) or cjson.null, after = after, changes = changes })
