// Issue 21 item 7: a plain command loads no heavy dependency. Each command below runs the real
// `porthole` binary under test/support/module-log.ts, which lists every module the process
// loaded; the only package allowed is commander. A command's own implementation (Redis, MQTT,
// hono, prom-client, the port mapper, ws, libsodium, pino…) loads with a dynamic import() when it
// runs — this test keeps the next heavy dependency lazy too.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command, EntityState } from '../../src/devices/model.js';
import { ControlServer, type AgentBackend } from '../../src/client/agent/control-server.js';
import { agentSocket } from '../../src/cli/client-up-cmd.js';
import { BIN } from '../support/cli.js';

const RECORDER = fileURLToPath(new URL('../support/module-log.js', import.meta.url));
/** Packages a plain command may load (the command line's parser). */
const ALLOWED = new Set(['commander']);
/** Named by the issue: any of these in a plain command is a failure even if ALLOWED grows. */
const HEAVY =
  /^(redis|@redis\/.*|mqtt|hono|@hono\/.*|prom-client|@achingbrain\/.*|@opentelemetry\/.*)$/;

const dir = mkdtempSync(join(tmpdir(), 'porthole-lazy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Packages loaded from node_modules (by name), and how many of Porthole's own modules. */
  packages: Set<string>;
  own: number;
}

let n = 0;
/** Runs `porthole ARGS` (asynchronously: the fake agent below serves in this process). */
function porthole(args: string[]): Promise<Run> {
  const log = join(dir, `modules-${n++}.txt`);
  const p = spawn(process.execPath, ['--import', RECORDER, BIN, ...args], {
    env: { ...process.env, PORTHOLE_MODULE_LOG: log },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      p.kill();
      reject(new Error(`porthole ${args.join(' ')}: no exit within 30 s`));
    }, 30_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
      const packages = new Set<string>();
      for (const l of lines) {
        const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(decodeURIComponent(l));
        if (m) packages.add(m[1]!);
      }
      const own = new Set(lines.filter((l) => l.includes('/dist/src/'))).size;
      resolve({ code, stdout, stderr, packages, own });
    });
  });
}

function assertLean(r: Run, what: string): void {
  const extra = [...r.packages].filter((p) => !ALLOWED.has(p));
  assert.deepEqual(extra, [], `${what} loaded ${extra.join(', ')}`);
  assert.deepEqual(
    [...r.packages].filter((p) => HEAVY.test(p)),
    [],
    what,
  );
  // The recorder works: commander and the command line's own modules were seen.
  assert.ok(r.packages.has('commander') && r.own > 0, `${what}: nothing recorded`);
}

for (const args of [
  ['--help'],
  ['client', '--help'],
  ['client', 'set', '--help'],
  ['home', '--help'],
  ['rendezvous', '--help'],
  ['simulate', '--help'],
]) {
  test(`porthole ${args.join(' ')} loads no package but commander`, async () => {
    const r = await porthole(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: porthole/);
    assertLean(r, args.join(' '));
  });
}

test('porthole client status with no agent loads no package but commander', async () => {
  const r = await porthole(['client', 'status', '--state', join(dir, 'none'), '--json']);
  assert.equal(r.code, 1);
  assert.deepEqual(JSON.parse(r.stdout), { error: 'no client agent running', agent: false });
  assertLean(r, 'client status');
});

test('porthole client set through a running agent loads only the control socket client', async () => {
  const state = mkdtempSync(join(dir, 'state-'));
  const calls: [string | undefined, string, Command][] = [];
  const light: EntityState = {
    entity_id: 'light.kitchen',
    state: 'on',
    attributes: {},
    last_changed: new Date(0).toISOString(),
  };
  // A stand-in agent: the command cannot tell it from `porthole client up` on its socket.
  const backend: AgentBackend = {
    status: () => [],
    list: () => Promise.resolve([light]),
    get: () => Promise.resolve(light),
    call: (home, entity, command) => {
      calls.push([home, entity, command]);
      return Promise.resolve(light);
    },
    watch: () => Promise.resolve(() => {}),
  };
  const server = new ControlServer(agentSocket(state), backend);
  await server.listen();
  try {
    const r = await porthole(['client', 'set', 'light.kitchen', 'on', '--state', state, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), light);
    assert.deepEqual(calls, [[undefined, 'light.kitchen', { service: 'turn_on' }]]);
    assertLean(r, 'client set via the agent');
  } finally {
    await server.close();
  }
});
