/**
 * The Lua scripts of cluster presence (redis-presence.ts): each one atomic in Redis, so that
 * a user's arrival and departure, a replace and a reap are counted exactly once.
 *
 * Every script touches one hash slot, so that it runs on a Redis Cluster as on one Redis.
 * A room's keys share the room's hash tag: `<p>:pr:{<room>}:u` (hash user -> number of nodes
 * that have them), `<p>:pr:{<room>}:n:<node>` (set of the node's users in the room) and
 * `<p>:pr:{<room>}:o:<node>` (leaves in the room the node owes). The heartbeats live under
 * one tag: `<p>:pr:{nodes}:live` (sorted set scored by Redis time) and `<p>:pr:{nodes}:reaping`
 * (nodes being reaped, scored by the claim's time). Each node also lists the rooms it has
 * pairs in, `<p>:pr:idx:<node>`, so that its rooms can be found without a scan.
 */

/** Shared Lua: Redis's clock in ms, so that nodes' clocks never disagree about staleness. */
const NOW = `
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end`;

/** KEYS: room hash, node's users in the room. ARGV: user. Returns the room's count for the user, or -1. */
const ADD = `
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
end
return -1`;

/**
 * KEYS: room hash, node's users in the room, node's owed leaves in the room. ARGV: user.
 * Returns the remaining count (0: the user left the room cluster-wide, and the leave is
 * owed), or -1 when the pair was not there.
 */
const REMOVE = `
if redis.call('SREM', KEYS[2], ARGV[1]) == 1 then
  local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
  if n <= 0 then
    redis.call('HDEL', KEYS[1], ARGV[1])
    redis.call('SADD', KEYS[3], ARGV[1])
    return 0
  end
  return n
end
return -1`;

/**
 * Shared Lua: takes a node's users out of a room (`usersKey`) and its owed leaves there
 * (`owedKey`), deleting both; returns them all: the candidates for a leave.
 */
const RELEASE = `
local function release(roomKey, usersKey, owedKey)
  local candidates = redis.call('SMEMBERS', owedKey)
  for _, u in ipairs(redis.call('SMEMBERS', usersKey)) do
    local n = redis.call('HINCRBY', roomKey, u, -1)
    if n <= 0 then redis.call('HDEL', roomKey, u) end
    table.insert(candidates, u)
  end
  redis.call('DEL', usersKey, owedKey)
  return candidates
end
local function gone(roomKey, candidates)
  local out, seen = {}, {}
  for _, u in ipairs(candidates) do
    if not seen[u] and not redis.call('HGET', roomKey, u) then
      seen[u] = true
      table.insert(out, u)
    end
  end
  return out
end`;

/**
 * KEYS: room hash, node's users in the room, node's owed leaves in the room. ARGV: users.
 * Replaces the node's users in the room with ARGV. Returns the leaves to announce, now
 * owed by the node: users it had (or owed) before whom no node has any more. At start that
 * is a previous process's users under the same NODE_ID (a container restarted in its pod
 * before anyone reaped it); after an outage, users that left meanwhile.
 */
const REPLACE = `${RELEASE}
local candidates = release(KEYS[1], KEYS[2], KEYS[3])
for i = 1, #ARGV do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then redis.call('HINCRBY', KEYS[1], ARGV[i], 1) end
end
local out = gone(KEYS[1], candidates)
for _, u in ipairs(out) do redis.call('SADD', KEYS[3], u) end
return out`;

/**
 * KEYS: room hash, dead node's users and owed leaves in the room, the reaper's owed leaves
 * there. Returns the leaves to announce, which the reaper owes until it has: the dead
 * node's users now gone, and the leaves it owed whose user has not come back. A second
 * run finds nothing left: reapers may repeat it.
 */
const REAP_ROOM = `${RELEASE}
local out = gone(KEYS[1], release(KEYS[1], KEYS[2], KEYS[3]))
for _, u in ipairs(out) do redis.call('SADD', KEYS[4], u) end
return out`;

/**
 * KEYS: live zset, reaping zset. ARGV: node id. Returns 1 when the node was registered,
 * 0 when it was not (reaped, or new) and now is, -1 when a reaper is taking its pairs back
 * (it must not republish them until that is over).
 */
const HEARTBEAT = `${NOW}
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return -1 end
if redis.call('ZADD', KEYS[1], now(), ARGV[1]) == 1 then return 0 end
return 1`;

/** KEYS: live zset, reaping zset. ARGV: stale ms. Nodes silent for that long, and reaps abandoned as long. */
const STALE = `${NOW}
local limit = now() - tonumber(ARGV[1])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', limit)
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', limit)) do table.insert(ids, id) end
return ids`;

/**
 * KEYS: live zset, reaping zset. ARGV: node id, stale ms. Moves a silent node (or a reap
 * abandoned by a reaper that died) to `reaping` under a new claim. Returns the claim (its
 * time), or 0 when the node is not to be reaped by this caller.
 */
const CLAIM = `${NOW}
local t, limit = now(), now() - tonumber(ARGV[2])
local live = redis.call('ZSCORE', KEYS[1], ARGV[1])
local reaping = redis.call('ZSCORE', KEYS[2], ARGV[1])
if (live and tonumber(live) <= limit) or (not live and reaping and tonumber(reaping) <= limit) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[2], t, ARGV[1])
  return t
end
return 0`;

/** KEYS: reaping zset. ARGV: node id, claim. Ends the reap if the claim is still this reaper's. */
const FINISH = `
if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '-1') == tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0`;

/** Each script and its number of keys; registered once, then sent as EVALSHA. */
export const SCRIPTS = {
  chatPresenceAdd: [ADD, 2],
  chatPresenceRemove: [REMOVE, 3],
  chatPresenceReplace: [REPLACE, 3],
  chatPresenceReapRoom: [REAP_ROOM, 4],
  chatPresenceHeartbeat: [HEARTBEAT, 2],
  chatPresenceStale: [STALE, 2],
  chatPresenceClaim: [CLAIM, 2],
  chatPresenceFinish: [FINISH, 1],
} as const;
export type ScriptName = keyof typeof SCRIPTS;

/** The key names of one deployment (REDIS_KEY_PREFIX). Room names contain no braces (the contract's patterns). */
export function presenceKeys(prefix: string) {
  const room = (r: string) => `${prefix}:pr:{${r}}`;
  return {
    live: `${prefix}:pr:{nodes}:live`,
    reaping: `${prefix}:pr:{nodes}:reaping`,
    /** The rooms a node has pairs in. */
    index: (node: string) => `${prefix}:pr:idx:${node}`,
    users: (r: string) => `${room(r)}:u`,
    /** KEYS of a room script for one node: room hash, its users there, its owed leaves there. */
    ofNode: (r: string, node: string) => [`${room(r)}:u`, `${room(r)}:n:${node}`, `${room(r)}:o:${node}`],
    owed: (r: string, node: string) => `${room(r)}:o:${node}`,
  };
}
