--[[
  Write-behind, flush step 3: forget a batch once the database holds it (the database recorded the
  batch id in the same transaction, so a batch acknowledged twice, or applied twice, counts once).

  KEYS[1] the shard's open batches            e.g. wb:{s07}:batches
  KEYS[2] the batch                           e.g. wb:{s07}:batch:<batchId>
  KEYS[3] the batch's trace contexts          e.g. wb:{s07}:batch:<batchId>:traces
  KEYS[4] the batch's identified increments   e.g. wb:{s07}:batch:<batchId>:once
  ARGV[1] the batch id

  Returns 1 when the batch was open, 0 when another flush had already acknowledged it.
]]
redis.call('UNLINK', KEYS[2], KEYS[3], KEYS[4])
return redis.call('ZREM', KEYS[1], ARGV[1])
