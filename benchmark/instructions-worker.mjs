// One process of `npm run bench:instructions`, run under valgrind: plain JavaScript on the built
// package, so that nothing but onelink's own work differs between runs (no transpiler, no cache).
// usage: node benchmark/instructions-worker.mjs leader|follower <port> <flag prefix> [calls]
import { existsSync, writeFileSync } from 'node:fs';
import { cluster } from '../dist/lib/index.js';

const [role, portText, flag, callsText] = process.argv.slice(2);

class EchoClient {
  async ready() {}
  async echo(value) {
    return value;
  }
}

// Long enough that no timer fires during a run under valgrind, which is some 50 times slower.
const slow = 600_000;
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const client = cluster(EchoClient, { name: 'instructions', port: Number(portText), responseTimeout: slow, maxWaitTime: slow, connectTimeout: slow, heartbeatInterval: slow, logger: quiet })
  .delegate('echo', 'invoke')
  .create();
await client.ready();

if (role === 'leader') {
  writeFileSync(`${flag}.ready`, '');
  const poll = setInterval(() => {
    if (!existsSync(`${flag}.done`)) return;
    clearInterval(poll);
    process.exit(0);
  }, 50);
} else {
  const calls = Number(callsText);
  for (let i = 0; i < calls; i++) await client.echo({ id: i, name: 'call', tags: ['a', 'b'], at: 1234567 });
  writeFileSync(`${flag}.done`, '');
  process.exit(0);
}
