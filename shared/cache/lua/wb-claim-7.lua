--[[
  Write-behind, flush step 1: move the shard's pending increments into a new batch, unless a
  batch of the shard is still open; list every open batch of the shard.

  KEYS[1] the shard's pending hash            e.g. wb:{s07}:pending
  KEYS[2] the shard's recent trace contexts   e.g. wb:{s07}:pending:traces
  KEYS[3] the shard's identified increments   e.g. wb:{s07}:pending:once
  KEYS[4] the shard's open batches            e.g. wb:{s07}:batches  (sorted set, id -> claim time ms)
  KEYS[5] the new batch                       e.g. wb:{s07}:batch:<batchId>
  KEYS[6] the new batch's trace contexts      e.g. wb:{s07}:batch:<batchId>:traces
  KEYS[7] the new batch's identified increments  e.g. wb:{s07}:batch:<batchId>:once
  ARGV[1] the new batch id (unique: the flush job's id and a random part)

  RENAME moves the whole hash in O(1): an increment lands either before the move (and is in this
  batch) or after it (and is in the next), never in both and never in neither. Nothing is copied,
  so nothing can be half-copied when the worker dies.

  At most one batch per shard is open: while one waits (the database is down, or its flush died
  half-way), increments keep adding up in the one pending hash instead of a new batch per
  attempt, and batches reach the database in the order they were claimed (a revocation is never
  applied before the increment it takes back).

  A client that lost the reply may send this again with the same batch id: the batch is then the
  open one and nothing is moved again.

  Returns the open batch ids, oldest first.
]]
if redis.call('ZCARD', KEYS[4]) == 0 and redis.call('EXISTS', KEYS[1], KEYS[3]) > 0 then
  for i = 1, 3 do
    if redis.call('EXISTS', KEYS[i]) == 1 then
      redis.call('RENAME', KEYS[i], KEYS[i + 4])
    end
  end
  local now = redis.call('TIME')
  redis.call('ZADD', KEYS[4], tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000), ARGV[1])
end
return redis.call('ZRANGE', KEYS[4], 0, -1)
