// The CLI contract, with real processes: `client connect --json` prints exactly one JSON line
// for both paths; usage errors exit 2 with one line on stderr.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawn } from 'node:child_process';
import { BIN, jsonLine, Procs, run } from '../support/cli.js';

const RV = '127.0.0.2:27400';
const HOME = '127.0.0.3:27500';
const procs = new Procs();

before(async () => {
  await procs.start(['rendezvous', '--listen', RV], 'rendezvous listening');
  await procs.start(
    ['home', '--id', 'cli-home', '--rendezvous', RV, '--listen', HOME],
    'registered with rendezvous',
  );
});

after(() => procs.stopAll());

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

test('devices through the tunnel: list, get, set, bad actions', () => {
  const a = [
    '--home',
    'cli-home',
    '--rendezvous',
    RV,
    '--bind',
    '127.0.0.4',
    '--sockets',
    '20',
    '--json',
  ];
  const list = run(['client', 'devices', ...a]);
  assert.equal(list.status, 0, list.stderr);
  const ids = list.stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { entity_id: string }).entity_id);
  assert.ok(ids.includes('light.kitchen') && ids.includes('lock.front_door'));
  const set = run(['client', 'set', 'light.kitchen', 'brightness=42', ...a]);
  assert.equal(set.status, 0, set.stderr);
  assert.deepEqual(
    [
      jsonLine(set.stdout).state,
      (jsonLine(set.stdout).attributes as { brightness: number }).brightness,
    ],
    ['on', 42],
  );
  const get = run(['client', 'get', 'light.kitchen', ...a]);
  assert.equal(jsonLine(get.stdout).state, 'on');
  const bad = run(['client', 'set', 'light.kitchen', 'explode', ...a]);
  assert.equal(bad.status, 2);
  const refused = run(['client', 'set', 'sensor.living_room_temperature', 'on', ...a]);
  assert.equal(refused.status, 1);
  assert.match(String(jsonLine(refused.stdout).error), /read-only/);
});

test('client watch prints live changes', async () => {
  const a = [
    '--home',
    'cli-home',
    '--rendezvous',
    RV,
    '--bind',
    '127.0.0.4',
    '--sockets',
    '20',
    '--json',
  ];
  const w = spawn(process.execPath, [BIN, 'client', 'watch', '--duration', '20', ...a], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  w.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const seen = (): boolean => out.includes('"entity_id":"switch.coffee_maker"');
  // Keep changing the switch until the watcher (once connected and subscribed) reports it.
  for (let i = 0; i < 20 && !seen(); i++) {
    assert.equal(run(['client', 'set', 'switch.coffee_maker', 'toggle', ...a]).status, 0);
    await new Promise((r) => setTimeout(r, 500));
  }
  w.kill('SIGINT');
  assert.ok(seen(), out);
});
