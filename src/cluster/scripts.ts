/**
 * The Lua scripts that make claims atomic in Redis. Time is Redis's own (`TIME`), so edges'
 * clocks never meet: an entry's silence is its `silentMs` plus the time since its write.
 * @module
 */

/**
 * Claims or refreshes a stream for an edge.
 * `KEYS[1]` the stream's key; `ARGV`: entry JSON, edge id, takeover ms (0: never), TTL ms.
 * Returns `{1}` claimed (free, expired, or already this edge's), `{2, previous}` taken over
 * from a holder silent for the takeover time, `{0, holder}` refused.
 */
export const CLAIM_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cur = redis.call('GET', KEYS[1])
local status = 1
if cur then
  local ok, o = pcall(cjson.decode, cur)
  if ok and type(o) == 'table' and o.edgeId ~= ARGV[2] then
    local silent = (tonumber(o.silentMs) or 0) + now - (tonumber(o.at) or now)
    local after = tonumber(ARGV[3])
    if after <= 0 or silent < after then return {0, cur} end
    status = 2
  end
end
local e = cjson.decode(ARGV[1])
e.at = now
redis.call('SET', KEYS[1], cjson.encode(e), 'PX', ARGV[4])
if status == 2 then return {2, cur} end
return {1}
`;

/**
 * Deletes a stream's entry if this edge and session still hold it.
 * `KEYS[1]` the stream's key; `ARGV`: edge id, session id. Returns 1 when deleted.
 */
export const RELEASE_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local ok, o = pcall(cjson.decode, cur)
if ok and type(o) == 'table' and o.edgeId == ARGV[1] and o.sessionId == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;
