--[[
  Start invalidating a tag: move its key set aside, so that the set being drained no longer grows.

  Entries cached after this point register in a new, empty set: they were loaded after the
  invalidation started and are not its business. RENAME is O(1) whatever the size of the set,
  so freezing a tag of a million keys does not block the server.

  A drain may still be in progress (a bounded call that stopped early, or a crashed process):
  then nothing moves and the caller finishes that drain first, then freezes again.

  KEYS[1] the tag's key set        e.g. tag:{brand-acme}:keys
  KEYS[2] the set being drained    e.g. tag:{brand-acme}:draining   (same hash tag, same slot)
  ARGV[1] how long the drained set may live, in milliseconds (a crashed drainer's leftovers expire)

  Returns 1 when frozen, 0 when a drain is already in progress, -1 when the tag has no keys.
]]
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
