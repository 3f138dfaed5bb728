--[[
  Ask a Bloom filter about ids: 0 means "certainly never added", 1 means "maybe".

  Answers -1 (the caller then treats every id as "maybe") when the filter cannot be trusted to
  say "no": it was never built (or Redis lost it), or its bitmap is gone while its parameters say
  ids were added (an eviction, say). An empty bitmap there would answer "no" for every id that
  exists, and those products would be reported missing.

  KEYS[1] the filter       bloom:{products}:bits
  KEYS[2] its parameters   bloom:{products}:meta
  ARGV    the ids

  Returns a list of 0/1, one per id, or -1.
]]
--- @include "includes/bloom-positions"

local meta = redis.call('HMGET', KEYS[2], 'backend', 'bits', 'hashes', 'inserted')
if not meta[1] then return -1 end
local exists = redis.call('EXISTS', KEYS[1]) == 1
if not exists and (tonumber(meta[4]) or 0) > 0 then return -1 end

if meta[1] == 'redisbloom' then
  if not exists then return -1 end
  return redis.call('BF.MEXISTS', KEYS[1], unpack(ARGV))
end

local bits, hashes = tonumber(meta[2]), tonumber(meta[3])
local answers = {}
for a = 1, #ARGV do
  local maybe = 1
  for _, position in ipairs(positions(ARGV[a], bits, hashes)) do
    if redis.call('GETBIT', KEYS[1], position) == 0 then
      maybe = 0
      break
    end
  end
  answers[a] = maybe
end
return answers
