--[[
  Add ids to a Bloom filter: to the live filter, and also to the next one while a rebuild runs
  (so that an id created during the rebuild is in the filter that replaces the live one).

  Bit positions are computed here, from the filter's own parameters read in the same atomic step,
  so that a rebuild with new parameters (bloom-swap-4.lua) can never mix positions computed for
  one size with bits of another. `positions` (double hashing) is the fragment
  includes/bloom-positions.lua, shared with bloom-check-2.lua.

  On a server with the RedisBloom module the filter may be a native one (meta backend
  'redisbloom'): BF.MADD then does the hashing.

  KEYS[1] live filter          bloom:{products}:bits
  KEYS[2] live parameters      bloom:{products}:meta       hash: backend bits hashes capacity error_rate inserted
  KEYS[3] next filter          bloom:{products}:next
  KEYS[4] next parameters      bloom:{products}:next-meta  exists only while a rebuild runs; holds its lease
  ARGV[1] '' for a normal add (live filter, plus the next one if a rebuild runs), or a rebuild's
          token for the rebuild's own fill (next filter only, and only while that rebuild holds it)
  ARGV[2] rebuild lease in milliseconds, renewed by each fill call
  ARGV[3..] the ids

  Returns the number of ids that were new to the target filter (for the live filter's `inserted`
  estimate), or -1 when there is no target: no live filter yet, or the rebuild lost its lease.
]]
--- @include "includes/bloom-positions"

local function add(bits_key, meta_key, first)
  local meta = redis.call('HMGET', meta_key, 'backend', 'bits', 'hashes')
  local added = 0
  if meta[1] == 'redisbloom' then
    local replies = redis.call('BF.MADD', bits_key, unpack(ARGV, first))
    for _, reply in ipairs(replies) do added = added + reply end
  else
    local bits, hashes = tonumber(meta[2]), tonumber(meta[3])
    for a = first, #ARGV do
      local new = 0
      for _, position in ipairs(positions(ARGV[a], bits, hashes)) do
        if redis.call('SETBIT', bits_key, position, 1) == 0 then new = 1 end
      end
      added = added + new
    end
  end
  redis.call('HINCRBY', meta_key, 'inserted', added)
  return added
end

-- The next filter's keys expire with its lease, so an abandoned rebuild leaves nothing behind.
local function follow_lease(next_key, next_meta_key)
  local ttl = redis.call('PTTL', next_meta_key)
  if ttl > 0 then redis.call('PEXPIRE', next_key, ttl) end
end

local token, lease = ARGV[1], ARGV[2]
if token ~= '' then
  if redis.call('HGET', KEYS[4], 'builder') ~= token then return -1 end
  redis.call('PEXPIRE', KEYS[4], lease)
  local added = add(KEYS[3], KEYS[4], 3)
  follow_lease(KEYS[3], KEYS[4])
  return added
end

if redis.call('EXISTS', KEYS[4]) == 1 then
  add(KEYS[3], KEYS[4], 3)
  follow_lease(KEYS[3], KEYS[4])
end
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
return add(KEYS[1], KEYS[2], 3)
