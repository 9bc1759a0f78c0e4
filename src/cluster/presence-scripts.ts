/**
 * The Lua scripts of cluster presence (presence.ts): each one atomic in Redis, so that a
 * user's arrival and departure, a replace and a reap are counted exactly once.
 *
 * Keys: `<p>:pr:room:<room>` (hash user -> number of nodes that have them),
 * `<p>:pr:node:<id>` (set of the node's "room\0user" pairs), `<p>:pr:leaving:<id>` (set of
 * leaves the node owes), `<p>:pr:nodes` (sorted set of heartbeats, scored by Redis time).
 */

/** Between a pair's room and user: neither can contain it. */
export const SEP = "\u0000";

/** SADD the pair to the node; count the node in the room once. Returns the room's count for the user, or -1. */
const ADD = `
if redis.call('SADD', KEYS[2], ARGV[2]) == 1 then
  return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
end
return -1`;

/**
 * KEYS: room hash, node set, node's owed leaves. Returns the remaining count (0: the user
 * left the room cluster-wide, and the leave is owed), or -1 when the pair was not there.
 */
const REMOVE = `
if redis.call('SREM', KEYS[2], ARGV[2]) == 1 then
  local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
  if n <= 0 then
    redis.call('HDEL', KEYS[1], ARGV[1])
    redis.call('SADD', KEYS[3], ARGV[2])
    return 0
  end
  return n
end
return -1`;

/** Shared Lua: take back every pair of a node's set; returns the pairs whose user is now gone. */
const RELEASE = `
local function release(nodeKey, roomPrefix)
  local gone = {}
  for _, p in ipairs(redis.call('SMEMBERS', nodeKey)) do
    local sep = string.find(p, '\\0', 1, true)
    local roomKey = roomPrefix .. string.sub(p, 1, sep - 1)
    local user = string.sub(p, sep + 1)
    local n = redis.call('HINCRBY', roomKey, user, -1)
    if n <= 0 then
      redis.call('HDEL', roomKey, user)
      table.insert(gone, p)
    end
  end
  redis.call('DEL', nodeKey)
  return gone
end`;

/**
 * Shared Lua: the leaves to announce out of `pairs` and the node's owed set `owedKey`
 * (which it empties): each pair once, if no node has its user in its room any more.
 */
const OWED = `
local function owed(pairs, owedKey, roomPrefix)
  for _, p in ipairs(redis.call('SMEMBERS', owedKey)) do table.insert(pairs, p) end
  redis.call('DEL', owedKey)
  local out, seen = {}, {}
  for _, p in ipairs(pairs) do
    local sep = string.find(p, '\\0', 1, true)
    local n = tonumber(redis.call('HGET', roomPrefix .. string.sub(p, 1, sep - 1), string.sub(p, sep + 1)) or '0')
    if n <= 0 and not seen[p] then
      seen[p] = true
      table.insert(out, p)
    end
  end
  return out
end`;

/** Shared Lua: Redis's clock in ms, so that nodes' clocks never disagree about staleness. */
const NOW = `
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end`;

/**
 * KEYS: nodes zset, node set, node's owed leaves. ARGV: node id, room key prefix, pairs...
 * Replaces the node's contribution with the given pairs. Returns the pairs to announce as
 * leaves, now owed by the node: what it had (or owed) before and no node has any more. At
 * start that is a previous process's users under the same NODE_ID (a container restarted
 * in its pod before anyone reaped it); after an outage, users that left meanwhile.
 */
const REPLACE = `${RELEASE}${OWED}${NOW}
local released = release(KEYS[2], ARGV[2])
for i = 3, #ARGV do
  local p = ARGV[i]
  local sep = string.find(p, '\\0', 1, true)
  redis.call('SADD', KEYS[2], p)
  redis.call('HINCRBY', ARGV[2] .. string.sub(p, 1, sep - 1), string.sub(p, sep + 1), 1)
end
local gone = owed(released, KEYS[3], ARGV[2])
for _, p in ipairs(gone) do redis.call('SADD', KEYS[3], p) end
redis.call('ZADD', KEYS[1], now(), ARGV[1])
return gone`;

/** KEYS: nodes zset. ARGV: node id. Returns 1 when the node was still registered, 0 when it had been reaped. */
const HEARTBEAT = `${NOW}
local added = redis.call('ZADD', KEYS[1], now(), ARGV[1])
if added == 1 then return 0 end
return 1`;

/**
 * KEYS: nodes zset, dead node's set, dead node's owed leaves, the reaper's owed leaves.
 * ARGV: dead node id, stale ms, room key prefix. Returns the pairs to announce: the dead
 * node's users now gone, and the leaves it owed whose user has not come back; the reaper
 * owes them until it has announced them.
 */
const REAP = `${RELEASE}${OWED}${NOW}
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > now() - tonumber(ARGV[2]) then return {} end
redis.call('ZREM', KEYS[1], ARGV[1])
local gone = owed(release(KEYS[2], ARGV[3]), KEYS[3], ARGV[3])
for _, p in ipairs(gone) do redis.call('SADD', KEYS[4], p) end
return gone`;

/** KEYS: nodes zset. ARGV: stale ms. Ids of nodes whose heartbeat is older than that. */
const STALE = `${NOW}
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now() - tonumber(ARGV[1]))`;

/** Each script and its number of keys; registered once, then sent as EVALSHA. */
export const SCRIPTS = {
  chatPresenceAdd: [ADD, 2],
  chatPresenceRemove: [REMOVE, 3],
  chatPresenceReplace: [REPLACE, 3],
  chatPresenceHeartbeat: [HEARTBEAT, 1],
  chatPresenceReap: [REAP, 4],
  chatPresenceStale: [STALE, 1],
} as const;
export type ScriptName = keyof typeof SCRIPTS;
