import type { RedisServer } from '../support/servers.js';

/** Client connections to the server, not counting the one asking. */
export async function redisClientCount(server: RedisServer): Promise<number> {
  const list = await server.cli('CLIENT', 'LIST');
  return list.split('\n').filter((line) => line.trim() && !line.includes('cmd=client|list')).length;
}
