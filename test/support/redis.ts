// Starts Debian's redis-server on 127.0.0.1 and a free port (no persistence), for the cluster
// tests and the bench. Fails loudly when redis-server is missing (apt-get install redis-server).
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before } from 'node:test';
import { existsSync } from 'node:fs';
import { accepting, freePort } from './mosquitto.js';

const BINARIES = ['/usr/bin/redis-server', '/usr/sbin/redis-server'];

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM) and waits for it to exit (at most 5 s, then SIGKILL). */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted). */
  restart(): Promise<void>;
}

function waitExit(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      resolve();
    }, 5000);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

async function launch(bin: string, port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const proc = spawn(bin, args, { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await accepting(port)) return proc;
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill('SIGKILL');
  throw new Error(`redis-server did not listen on 127.0.0.1:${port} within 5 s`);
}

export async function startRedis(): Promise<RedisServer> {
  const bin = BINARIES.find((b) => existsSync(b));
  if (!bin)
    throw new Error(
      'redis-server is not installed (apt-get install redis-server); the cluster tests need a real one',
    );
  const port = await freePort();
  let proc = await launch(bin, port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      proc.kill('SIGTERM');
      await waitExit(proc);
    },
    restart: async () => {
      proc = await launch(bin, port);
    },
  };
}

/**
 * For a test file with role processes: a redis-server started before its tests and stopped after
 * them, with every process pushed on `procs` killed (SIGKILL) first.
 */
export function redisForFile(): { redis: () => RedisServer; procs: ChildProcess[] } {
  let server: RedisServer | undefined;
  const procs: ChildProcess[] = [];
  before(async () => {
    server = await startRedis();
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await server?.stop();
  });
  return {
    redis: () => {
      if (!server) throw new Error('redis-server not started yet');
      return server;
    },
    procs,
  };
}
