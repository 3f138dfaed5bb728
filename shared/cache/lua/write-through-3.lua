--[[
  Write-through of a committed row, in commit order: write (or drop) the entry unless a newer
  version of the row already went through.

  The race it closes: two requests update one product; Postgres serialises them (v2, then v3),
  but their cache writes may arrive in either order. A plain SET lets the v2 write land last and
  the cache serve v2 until the TTL ends. Every committed row carries its version (incremented by
  the UPDATE itself), and this script keeps the highest version seen per entity (KEYS[3]),
  refusing older ones. Check and write are one atomic step.

  It also bumps the entity's invalidation counter (KEYS[2]), exactly like invalidate-2.lua: a
  read-through fill that loaded the row before this write then has its write-back refused by
  set-if-version-2.lua, so it cannot put the older row back on top of this one.

  KEYS[1] the entry                          e.g. product:{42}:row
  KEYS[2] the entity's invalidation counter  e.g. product:{42}:ver     (same hash tag, same slot)
  KEYS[3] the highest row version written    e.g. product:{42}:rowver
  ARGV[1] the committed row's version (a delete passes the deleted row's version + 1)
  ARGV[2] the value to store, or '' to drop the entry (repair after a failed write)
  ARGV[3] the entry's TTL in milliseconds (ignored when dropping)
  ARGV[4] how long both counters outlive the last write, in milliseconds: longer than any
          request can take between its commit and its cache write

  Returns 1 when written or dropped, 0 when refused (a newer version is already there).
]]
local committed = tonumber(ARGV[1])
local highest = tonumber(redis.call('GET', KEYS[3]) or '0')
if committed < highest then
  return 0
end
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[4])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if ARGV[2] == '' then
  redis.call('UNLINK', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
