--[[
  The k bit positions of an id in a bitmap Bloom filter of m bits, shared by bloom-add-4.lua and
  bloom-check-2.lua (inlined into both when they are loaded: see shared/redis/src/lua-includes.ts),
  so that an add and a check can never disagree about where an id lives.

  Double hashing (Kirsch and Mitzenmacher): the first two 32-bit words of the id's SHA-1 give h1
  and h2, and position i is (h1 + i * h2) mod m. k positions from one hash, as good as k hashes.
]]
local function positions(id, bits, hashes)
  local digest = redis.sha1hex(id)
  local h1 = tonumber(string.sub(digest, 1, 8), 16)
  local h2 = tonumber(string.sub(digest, 9, 16), 16)
  local out = {}
  for i = 0, hashes - 1 do
    out[i + 1] = (h1 + i * h2) % bits
  end
  return out
end
