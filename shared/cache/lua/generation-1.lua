--[[
  Read or bump the generation of a group of cache entries (versioned keys).

  Entries of the group are cached under keys that include the generation, so a bump (INCR) makes
  every one of them unreachable at once, without finding or deleting them; they expire by TTL.

  A missing counter (never bumped, or evicted) starts at the server's clock in microseconds, not
  at 0: if it started at 0 after an eviction, generation 1, 2, ... would be reused and pages
  cached under the old generation 1 would be served again. The clock has moved past any
  generation handed out before, unless bumps outran it by more than one per microsecond.
  (Microseconds since 1970 stay below 2^53, exact as a Lua number, until the year 2255.)

  KEYS[1] the group's generation counter   e.g. category:{7}:gen
  ARGV[1] 'read' or 'bump'

  Returns the generation (after the bump, for 'bump').
]]
local generation = redis.call('GET', KEYS[1])
if not generation then
  local time = redis.call('TIME')
  generation = time[1] .. string.format('%06d', tonumber(time[2]))
  redis.call('SET', KEYS[1], generation)
end
if ARGV[1] == 'bump' then
  return redis.call('INCR', KEYS[1])
end
return tonumber(generation)
