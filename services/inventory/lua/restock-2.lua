--[[
  Adds ARGV[1] units to a SKU's live stock.

  KEYS[1] inv:{SKU}:stock

  Returns the new available count, or -1 when the stock key is missing: INCRBY would then create
  a stock of just the restocked units, forgetting the rest. The caller rebuilds the key from
  Postgres instead, whose total already includes this restock.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
return redis.call('INCRBY', KEYS[1], ARGV[1])
