// The CLI contract, with real processes: `client connect --json` prints exactly one JSON line
// for both paths; usage errors exit 2 with one line on stderr.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/porthole.js', import.meta.url));
const RV = '127.0.0.2:47400';
const HOME = '127.0.0.3:47500';
const procs: ChildProcess[] = [];

function start(args: string[], readyText: string): Promise<void> {
  const p = spawn(process.execPath, [BIN, '--log-level', 'info', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs.push(p);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${args[0]} did not log "${readyText}" in 10 s`)),
      10_000,
    );
    p.stderr.on('data', (b: Buffer) => {
      if (b.toString().includes(readyText)) {
        clearTimeout(timer);
        resolve();
      }
    });
    p.on('exit', (code) => reject(new Error(`${args[0]} exited ${code}`)));
  });
}

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
}

before(async () => {
  await start(['rendezvous', '--listen', RV], 'rendezvous listening');
  await start(
    ['home', '--id', 'cli-home', '--rendezvous', RV, '--listen', HOME],
    'registered with rendezvous',
  );
});

after(() => procs.forEach((p) => p.kill('SIGTERM')));

function jsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got: ${stdout}`);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

test('client connect --json: assisted path', () => {
  const r = run([
    'client',
    'connect',
    '--home',
    'cli-home',
    '--rendezvous',
    RV,
    '--bind',
    '127.0.0.4',
    '--sockets',
    '100',
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const j = jsonLine(r.stdout);
  assert.equal(j.path, 'punched');
  assert.equal(j.home, HOME);
  for (const k of ['ms', 'attempts', 'packetsSent', 'socketsOpened'])
    assert.equal(typeof j[k], 'number', k);
});

test('client connect --json: direct path', () => {
  const r = run([
    'client',
    'connect',
    '--home',
    'cli-home',
    '--rendezvous',
    RV,
    '--direct',
    HOME,
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const j = jsonLine(r.stdout);
  assert.equal(j.path, 'direct');
  assert.equal(j.home, HOME);
  assert.equal(j.socketsOpened, 1);
});

test('client connect --json: failure is {"error":…} with exit 1', () => {
  const r = run(['client', 'connect', '--home', 'nobody', '--rendezvous', RV, '--json']);
  assert.equal(r.status, 1);
  assert.match(String(jsonLine(r.stdout).error), /not registered/);
});

test('client ping times round trips over the path', () => {
  const r = run([
    'client',
    'ping',
    '--home',
    'cli-home',
    '--rendezvous',
    RV,
    '--bind',
    '127.0.0.4',
    '--count',
    '3',
    '--interval',
    '10',
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const j = jsonLine(r.stdout);
  assert.equal(j.count, 3);
  assert.equal(j.lost, 0);
  assert.equal(typeof j.rttAvgMs, 'number');
});

test('bad flags and addresses: one line on stderr, exit 2; --help exits 0', () => {
  for (const args of [
    ['client', 'connect', '--home', 'x', '--rendezvous', 'nowhere'],
    ['client', 'connect', '--bogus'],
    ['home', '--id', 'bad id!', '--rendezvous', RV],
    ['rendezvous', '--listen', '1.2.3.4:99999'],
    ['client', 'ping', '--home', 'x', '--rendezvous', RV, '--count', 'many'],
    ['frobnicate'],
  ]) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')} → ${r.status} ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  for (const args of [
    ['--help'],
    ['client', 'connect', '--help'],
    ['home', '--help'],
    ['rendezvous', '--help'],
  ]) {
    const r = run(args);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: porthole/);
  }
});
