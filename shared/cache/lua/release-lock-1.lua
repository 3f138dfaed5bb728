--[[
  Release a lock only if we still own it.

  A lock is `SET key token NX PX ttl`. If its owner stalls past the TTL, the lock expires and
  another process takes it; a blind DEL from the first owner would then free the second owner's
  lock. Comparing the token and deleting in one script makes the release safe.

  KEYS[1] the lock
  ARGV[1] the owner's token

  Returns 1 when released, 0 when the lock was no longer ours.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
