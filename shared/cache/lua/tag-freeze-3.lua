--[[
  Start invalidating a tag: move its key set aside, so that the set being drained no longer grows,
  and record that the tag was frozen.

  Entries tagged after this point register in a new, empty set, which this invalidation does not
  drain. That is right for a fill that read the database after the invalidation began, and wrong
  for one that read it before and registers its key only now (it read the row, then learned the
  row's tags): its key is in neither set and its version is never bumped. Such a fill recognises
  itself by KEYS[3]: it read the freeze counter before loading (TagIndex.epoch), and finding here
  a freeze numbered above what it read, it invalidates its own entry as the drain would have.

  RENAME is O(1) whatever the size of the set, so freezing a tag of a million keys does not block
  the server. A drain may still be in progress (a bounded call that stopped early, or a crashed
  process): then nothing moves and the caller finishes that drain first, then freezes again.

  KEYS[1] the tag's key set           e.g. tag:{brand-acme}:keys
  KEYS[2] the set being drained       e.g. tag:{brand-acme}:draining   (same hash tag, same slot)
  KEYS[3] the tag's last freeze       e.g. tag:{brand-acme}:frozen     (same slot)
  ARGV[1] how long the drained set and the freeze mark live, in milliseconds (longer than any
          load; a crashed drainer's leftovers expire)
  ARGV[2] this freeze's number, taken from the index's freeze counter just before this call

  Returns 1 when frozen, 0 when a drain is already in progress, -1 when the tag has no keys. The
  freeze is recorded in every case: a fill may be about to register into the empty set.
]]
local freeze = tonumber(ARGV[2])
local recorded = tonumber(redis.call('GET', KEYS[3]) or '0')
-- Two invalidations of one tag may reach this script out of order: keep the highest number.
if freeze > recorded then
  redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[1])
else
  redis.call('PEXPIRE', KEYS[3], ARGV[1])
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
