/**
 * The token bucket as one Lua script, so that read, refill, take and write are atomic across
 * every replica sharing the key. Time comes from the Redis server (`TIME`), not the callers,
 * so replicas with skewed clocks agree. Redis ≥ 5 replicates scripts by their effects, which is
 * what makes calling `TIME` before a write allowed.
 *
 * KEYS[1] bucket · ARGV[1] capacity · ARGV[2] refill in tokens per millisecond · ARGV[3] cost ·
 * ARGV[4] TTL in milliseconds (a full bucket and a missing one are the same, so the key may
 * expire once it would have refilled). Returns `{allowed (0|1), tokens left (as a string:
 * Redis truncates Lua numbers to integers)}`.
 */
export const TOKEN_BUCKET_SCRIPT = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
if now > at then
  tokens = math.min(capacity, tokens + (now - at) * rate)
  at = now
end
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], ttl)
return { allowed, tostring(tokens) }
`;
