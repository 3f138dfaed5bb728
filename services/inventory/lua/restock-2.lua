--[[
  Brings a SKU's live stock up to a new Postgres total, once.

  KEYS[1] inv:{SKU}:stock   available units
  KEYS[2] inv:{SKU}:total   the Postgres total the live stock already includes
  ARGV[1] the restocked units
  ARGV[2] the Postgres total after this restock (Postgres updated it first)

  The stock grows by the difference between the new total and the one it includes, not by the
  restocked units: a load that read the new total from Postgres between the Postgres update and
  this script (the stock key was missing) already includes the restock, and two restocks whose
  scripts arrive in the other order than their updates each add their own units exactly once.

  Returns the new available count, or -1 when the stock key is missing: INCRBY would then create
  a stock of just the restocked units, forgetting the rest. The caller rebuilds the key from
  Postgres instead, whose total already includes this restock.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
local total = tonumber(ARGV[2])
local included = redis.call('GET', KEYS[2])
if not included then
  -- A stock key loaded before totals were kept: count the units, and from now on the total.
  redis.call('SET', KEYS[2], total)
  return redis.call('INCRBY', KEYS[1], ARGV[1])
end
included = tonumber(included)
if included >= total then
  return tonumber(redis.call('GET', KEYS[1]))
end
redis.call('SET', KEYS[2], total)
return redis.call('INCRBY', KEYS[1], total - included)
