--[[
  Invalidate an entry after its database row changed: bump the version, then drop the value.
  Readers that loaded before this point hold the old version and their write-back is refused
  (see set-if-version-2.lua).

  KEYS[1] the entry
  KEYS[2] the entity's version
  ARGV[1] how long the version outlives the last invalidation, in milliseconds; it must be longer
          than any load can take. If it expires, a reader's remembered version no longer matches
          "0" unless it also saw "0", so expiry can only refuse a write, never let a stale one in.

  Returns the new version.
]]
local version = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('UNLINK', KEYS[1])
return version
