// Issue 9 end to end with real processes on loopback: the rendezvous answers STUN (coturn's own
// client too), the home classifies itself, the client classifies and the ladder picks the knock;
// a failure line claims no path.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { jsonLine, Procs, run } from '../support/cli.js';

const RV = '127.0.0.2:27640';
const HOME = '127.0.0.3:27740';
const procs = new Procs();

before(async () => {
  await procs.start(
    ['rendezvous', '--listen', RV, '--alt-ip', '127.0.0.5'],
    'rendezvous listening',
  );
  await procs.start(
    ['home', '--id', 'strategy-home', '--rendezvous', RV, '--listen', HOME],
    'home NAT classified',
  );
});

after(() => procs.stopAll());

test("coturn's STUN client gets a mapped address from the rendezvous port", () => {
  const r = spawnSync('turnutils_stunclient', ['-L', '127.0.0.6', '-p', '27640', '127.0.0.2'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(r.error, undefined, 'turnutils_stunclient (Debian coturn) must be installed');
  assert.match(r.stdout, /reflexive addr: 127\.0\.0\.6:\d+/);
  assert.match(r.stdout, /Other addr: : 127\.0\.0\.5:27641/);
});

test('client connect --json: both sides classified, the knock, few packets, one socket', () => {
  const r = run([
    'client',
    'connect',
    '--home',
    'strategy-home',
    '--rendezvous',
    RV,
    '--bind',
    '127.0.0.4',
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const j = jsonLine(r.stdout);
  assert.equal(j.path, 'punched');
  assert.equal(j.home, HOME);
  assert.equal(j.strategy, 'knock');
  assert.equal(j.homeNat, 'full cone');
  assert.equal(j.clientNat, 'full cone');
  assert.equal(j.socketsOpened, 1);
  assert.ok((j.packetsSent as number) <= 20, `${String(j.packetsSent)} packets`);
  for (const k of ['ms', 'attempts', 'packetsSent', 'discoveryPackets'])
    assert.equal(typeof j[k], 'number', k);
});

test('a failure line claims no path and names what was learned', () => {
  const r = run([
    'client',
    'connect',
    '--home',
    'no-such-home',
    '--rendezvous',
    RV,
    '--bind',
    '127.0.0.4',
    '--json',
  ]);
  assert.equal(r.status, 1);
  const j = jsonLine(r.stdout);
  assert.equal('path' in j, false, r.stdout);
  assert.match(String(j.error), /not registered/);
  assert.equal(j.clientNat, 'full cone');
});
