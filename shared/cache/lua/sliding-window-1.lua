--[[
  Sliding-window rate limit: at most ARGV[2] requests in any window of ARGV[1] milliseconds.

  Each accepted request is a member of a sorted set scored by its time. Trimming the members that
  left the window, counting the rest and adding the new one happen in one script, so concurrent
  requests from many service instances cannot all see "one slot left" and all take it.
  Time comes from the Redis server (TIME), not from the callers, whose clocks may disagree.

  KEYS[1] the client's window         e.g. ratelimit:{client-ip}:user-writes
  ARGV[1] window length, milliseconds
  ARGV[2] limit (requests per window)
  ARGV[3] a unique id for this request (two requests in the same millisecond must not collide)

  Returns { allowed (1|0), remaining, retry_after_ms }.
]]
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])

if used < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return { 1, limit - used - 1, 0 }
end

local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local retry_after = tonumber(oldest[2]) + window - now
if retry_after < 1 then retry_after = 1 end
return { 0, 0, retry_after }
