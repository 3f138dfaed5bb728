--[[
  Write-behind, request path: count an increment in the shard's pending hash, and in the same
  atomic step (optionally) refuse a repeat, bump a ranking and remember who asked.

  KEYS[1] the shard's pending hash          e.g. wb:{s07}:pending        field "<counter>:<id>"
  KEYS[2] the shard's recent trace contexts e.g. wb:{s07}:pending:traces (moves with the batch)
  KEYS[3] the shard's identified increments e.g. wb:{s07}:pending:once   field once-key -> "<by>:<counter>:<id>"
  KEYS[4] the shard's ranking               e.g. wb:{s07}:rank:sold      (sorted set, id -> total)
  KEYS[5] the idempotency marker            e.g. wb:{s07}:once:sale:SKU-1:order-9
  ARGV[1] hash field "<counter>:<id>"
  ARGV[2] the increment (a positive integer)
  ARGV[3] ranking member ("" = no ranking)
  ARGV[4] marker TTL in seconds (0 = no marker: every call counts)
  ARGV[5] "<traceId>-<spanId>" of the acknowledging span ("" = not sampled)
  ARGV[6] how many trace contexts the shard keeps
  ARGV[7] the once-key itself (the identity the database keeps too)

  Every key shares the shard's hash tag, so this runs on one Cluster node, and the count, the
  ranking and the marker can never disagree: either all three change or none does.

  An increment with a marker is also listed under its once-key in KEYS[3], which moves with the
  batch: the database records that identity when it applies the batch, and skips the increment
  when it already holds it (counted by a fallback that wrote to the database directly). When
  KEYS[3] holds a revocation of this key (wb-revoke-5.lua: a negative entry), the two cancel: the
  count the revocation was to take back from the database is this one again.

  Returns 1 when counted, 0 when the marker already existed (a retried sale counts once).
]]
if tonumber(ARGV[4]) > 0 then
  if not redis.call('SET', KEYS[5], '1', 'NX', 'EX', ARGV[4]) then
    return 0
  end
  local listed = redis.call('HGET', KEYS[3], ARGV[7])
  if listed and tonumber(string.match(listed, '^(-?%d+)')) < 0 then
    redis.call('HDEL', KEYS[3], ARGV[7])
  else
    redis.call('HSET', KEYS[3], ARGV[7], ARGV[2] .. ':' .. ARGV[1])
  end
end
redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then
  redis.call('ZINCRBY', KEYS[4], ARGV[2], ARGV[3])
end
if ARGV[5] ~= '' then
  redis.call('LPUSH', KEYS[2], ARGV[5])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[6]) - 1)
end
return 1
