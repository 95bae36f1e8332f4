// A three-master Redis Cluster of real redis-server processes on free ports, for the cluster tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, respCommand } from '../support/servers.js';

const SLOT_RANGES: Array<[number, number]> = [[0, 5460], [5461, 10922], [10923, 16383]];

export class LocalRedisCluster {
  ports: number[] = [];
  private processes: ChildProcess[] = [];
  private dir = '';

  get nodes(): Array<{ host: string; port: number }> {
    return this.ports.map((port) => ({ host: '127.0.0.1', port }));
  }

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'onelink-redis-cluster-'));
    for (let i = 0; i < SLOT_RANGES.length; i++) this.ports.push(await freePort());
    for (const port of this.ports) {
      const proc = spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
        '--cluster-config-file', join(this.dir, `nodes-${port}.conf`), '--dir', this.dir,
        '--save', '', '--appendonly', 'no', '--daemonize', 'no',
      ], { stdio: 'ignore' });
      this.processes.push(proc);
    }
    await Promise.all(this.ports.map((port) => waitForPort(port)));
    await Promise.all(this.ports.map((port, i) => respCommand(port, ['CLUSTER', 'ADDSLOTSRANGE', String(SLOT_RANGES[i][0]), String(SLOT_RANGES[i][1])])));
    for (const port of this.ports.slice(1)) await respCommand(this.ports[0], ['CLUSTER', 'MEET', '127.0.0.1', String(port)]);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const infos = await Promise.all(this.ports.map((port) => respCommand(port, ['CLUSTER', 'INFO'])));
      if (infos.every((info) => info.includes('cluster_state:ok') && info.includes('cluster_known_nodes:3'))) return;
      if (Date.now() > deadline) throw new Error('the local Redis Cluster did not become ready within 15 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((proc) => new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    })));
    this.processes = [];
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
