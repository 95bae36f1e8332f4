// CPU work per call, counted in instructions rather than timed: a leader and a follower of the
// built package each run under valgrind (cachegrind, no cache simulation), the follower making
// sequential echo calls. The difference between a short and a long run, divided by the calls it
// adds, is what one call costs both processes once warm: startup and JIT warm-up cancel out.
// Unlike `npm run bench`, whose rows drift by 10–25 % on a shared 2-core machine, two runs of one
// tree agree within about 5 %. Kernel work (system calls) is not counted.
//
//   npm run bench:instructions [-- --calls=3000,9000 --reps=2]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/servers.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const WORKER = join(ROOT, 'benchmark', 'instructions-worker.mjs');
const VALGRIND = ['--tool=cachegrind', '--cache-sim=no', '--smc-check=all', '--cachegrind-out-file=/dev/null'];

function option(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

/** Runs valgrind on the worker; resolves with the instructions it counted. */
function counted(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', [...VALGRIND, process.execPath, WORKER, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const refs = /I\s+refs:\s+([\d,]+)/.exec(stderr);
      if (code === 0 && refs) resolve(Number(refs[1]!.replace(/,/g, '')));
      else reject(new Error(`valgrind ${args[0]} exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

async function run(calls: number, dir: string): Promise<{ leader: number; follower: number }> {
  const port = await freePort();
  const flag = join(dir, `run-${port}`);
  const leader = counted(['leader', String(port), flag]);
  // The leader exits only once the follower is done: settling before it is ready is a failure.
  const leaderGone = leader.then(() => {
    throw new Error('the leader exited before it was ready');
  });
  const started = Date.now();
  while (!existsSync(`${flag}.ready`)) {
    if (Date.now() - started > 300_000) throw new Error('the leader did not start within 5 min');
    await Promise.race([leaderGone, new Promise((resolve) => setTimeout(resolve, 200))]);
  }
  leaderGone.catch(() => {}); // once ready, its exit is awaited below
  const follower = await counted(['follower', String(port), flag, String(calls)]);
  return { leader: await leader, follower };
}

async function main(): Promise<void> {
  const [short, long] = option('calls', '3000,9000').split(',').map(Number) as [number, number];
  const reps = Number(option('reps', '2'));
  if (!(long > short && short > 0 && reps > 0)) throw new Error('usage: --calls=<short>,<long> with long > short > 0, --reps=N');
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'onelink-instructions-'));
  try {
    for (let rep = 1; rep <= reps; rep++) {
      const a = await run(short, dir);
      const b = await run(long, dir);
      const added = long - short;
      const leader = (b.leader - a.leader) / added;
      const follower = (b.follower - a.follower) / added;
      console.log(`repetition ${rep}: ${Math.round(leader + follower).toLocaleString('en-US')} instructions per call (leader ${Math.round(leader).toLocaleString('en-US')}, follower ${Math.round(follower).toLocaleString('en-US')}); ${short.toLocaleString('en-US')} calls: ${Math.round((a.leader + a.follower) / 1e6).toLocaleString('en-US')} M in all`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
