--[[
  Write-behind, flush step 1: move the shard's pending increments into a new batch, and list every
  batch of the shard that is still open (this one and those of flushes that died half-way).

  KEYS[1] the shard's pending hash            e.g. wb:{s07}:pending
  KEYS[2] the shard's recent trace contexts   e.g. wb:{s07}:pending:traces
  KEYS[3] the shard's open batches            e.g. wb:{s07}:batches  (sorted set, id -> claim time ms)
  KEYS[4] the new batch                       e.g. wb:{s07}:batch:<batchId>
  KEYS[5] the new batch's trace contexts      e.g. wb:{s07}:batch:<batchId>:traces
  ARGV[1] the new batch id (unique: the flush job's id and a random part)

  RENAME moves the whole hash in O(1): an increment lands either before the move (and is in this
  batch) or after it (and is in the next), never in both and never in neither. Nothing is copied,
  so nothing can be half-copied when the worker dies.

  A client that lost the reply may send this again with the same batch id: the batch then exists
  already and is not overwritten (RENAME onto it would drop the increments it holds).

  Returns the open batch ids, oldest first.
]]
local open = redis.call('ZSCORE', KEYS[3], ARGV[1])
if not open and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[4])
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('RENAME', KEYS[2], KEYS[5])
  end
  local now = redis.call('TIME')
  redis.call('ZADD', KEYS[3], tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000), ARGV[1])
end
return redis.call('ZRANGE', KEYS[3], 0, -1)
