// Lua scripts of the Redis backend. Each runs atomically, which is what makes concurrent
// sweeps from many machines safe: a dead server is removed, and announced, exactly once.
// Every script takes the key prefix (the namespace as a hash tag, `{namespace}`) as ARGV[1], and
// `<prefix>servers` as KEYS[1] so that a Redis Cluster routes it to the prefix's slot. Key layout:
//   servers            hash   server id -> record JSON
//   maintenance        hash   server id -> '1'
//   alive:<id>         string with a TTL, refreshed by the registering process
//   conns              hash   connection id -> server id
//   server-conns:<id>  set    connection ids bound to the server
//   events             channel of watch events

/** Removes one server, its maintenance flag and its connections, and announces it. */
const REMOVE_SERVER = `
local function remove_server(p, id, json)
  redis.call('HDEL', p .. 'servers', id)
  redis.call('HDEL', p .. 'maintenance', id)
  redis.call('DEL', p .. 'alive:' .. id)
  local conns = redis.call('SMEMBERS', p .. 'server-conns:' .. id)
  for _, c in ipairs(conns) do
    if redis.call('HGET', p .. 'conns', c) == id then redis.call('HDEL', p .. 'conns', c) end
  end
  redis.call('DEL', p .. 'server-conns:' .. id)
  redis.call('PUBLISH', p .. 'events', '{"type":"removed","maintenance":false,"server":' .. json .. '}')
end
`;

/** ARGV: namespace, id, record JSON, ttl ms. Returns 1 when the server is new. */
export const REGISTER = `
local p, id, json, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local existed = redis.call('HEXISTS', p .. 'servers', id)
redis.call('HSET', p .. 'servers', id, json)
redis.call('SET', p .. 'alive:' .. id, '1', 'PX', ttl)
local maintenance = redis.call('HEXISTS', p .. 'maintenance', id) == 1 and 'true' or 'false'
local kind = existed == 1 and 'changed' or 'added'
redis.call('PUBLISH', p .. 'events', '{"type":"' .. kind .. '","maintenance":' .. maintenance .. ',"server":' .. json .. '}')
return existed == 0 and 1 or 0
`;

/** ARGV: namespace, ttl ms, then id, record JSON pairs. Returns the ids it had to restore. */
export const HEARTBEAT = `
local p, ttl = ARGV[1], ARGV[2]
local restored = {}
for i = 3, #ARGV, 2 do
  local id, json = ARGV[i], ARGV[i + 1]
  if redis.call('HEXISTS', p .. 'servers', id) == 0 then
    redis.call('HSET', p .. 'servers', id, json)
    redis.call('PUBLISH', p .. 'events', '{"type":"added","maintenance":false,"server":' .. json .. '}')
    restored[#restored + 1] = id
  end
  redis.call('SET', p .. 'alive:' .. id, '1', 'PX', ttl)
end
return restored
`;

/** ARGV: namespace, id. Returns 1 when it was registered. */
export const DEREGISTER = REMOVE_SERVER + `
local p, id = ARGV[1], ARGV[2]
local json = redis.call('HGET', p .. 'servers', id)
if not json then return 0 end
remove_server(p, id, json)
return 1
`;

/** ARGV: namespace. Returns the ids removed. */
export const SWEEP = REMOVE_SERVER + `
local p = ARGV[1]
local all = redis.call('HGETALL', p .. 'servers')
local removed = {}
for i = 1, #all, 2 do
  if redis.call('EXISTS', p .. 'alive:' .. all[i]) == 0 then
    remove_server(p, all[i], all[i + 1])
    removed[#removed + 1] = all[i]
  end
end
return removed
`;

/** ARGV: namespace, id, '1' | '0'. Returns 1 when the server is live. */
export const SET_MAINTENANCE = `
local p, id, on = ARGV[1], ARGV[2], ARGV[3] == '1'
local json = redis.call('HGET', p .. 'servers', id)
if not json or redis.call('EXISTS', p .. 'alive:' .. id) == 0 then return 0 end
if on then redis.call('HSET', p .. 'maintenance', id, '1') else redis.call('HDEL', p .. 'maintenance', id) end
redis.call('PUBLISH', p .. 'events', '{"type":"changed","maintenance":' .. (on and 'true' or 'false') .. ',"server":' .. json .. '}')
return 1
`;

/** ARGV: namespace, optional id. Returns live id, JSON, maintenance triples. */
export const LIVE_SERVERS = `
local p, only = ARGV[1], ARGV[2]
local out = {}
local function add(id, json)
  if json and redis.call('EXISTS', p .. 'alive:' .. id) == 1 then
    out[#out + 1] = json
    out[#out + 1] = redis.call('HEXISTS', p .. 'maintenance', id)
  end
end
if only then
  add(only, redis.call('HGET', p .. 'servers', only))
else
  local all = redis.call('HGETALL', p .. 'servers')
  for i = 1, #all, 2 do add(all[i], all[i + 1]) end
end
return out
`;

/** ARGV: namespace, connection id, server id. Returns 0 when the server is not live. */
export const BIND = `
local p, c, id = ARGV[1], ARGV[2], ARGV[3]
if redis.call('EXISTS', p .. 'alive:' .. id) == 0 or redis.call('HEXISTS', p .. 'servers', id) == 0 then return 0 end
local previous = redis.call('HGET', p .. 'conns', c)
if previous then redis.call('SREM', p .. 'server-conns:' .. previous, c) end
redis.call('HSET', p .. 'conns', c, id)
redis.call('SADD', p .. 'server-conns:' .. id, c)
return 1
`;

/** ARGV: namespace, connection id. Returns 1 when it was bound. */
export const UNBIND = `
local p, c = ARGV[1], ARGV[2]
local id = redis.call('HGET', p .. 'conns', c)
if not id then return 0 end
redis.call('HDEL', p .. 'conns', c)
redis.call('SREM', p .. 'server-conns:' .. id, c)
return 1
`;
