// Issue 13 with real processes on loopback: a rendezvous on both families (--listen twice), a
// home with an IPv6 candidate (::1 stands in for a global address), and `client connect --json`
// reporting which path won; without IPv6 on the client, IPv4 traversal as before.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jsonLine, Procs, run } from '../support/cli.js';

const RV = '127.0.0.2:27410';
const procs = new Procs();

before(async () => {
  await procs.start(
    ['rendezvous', '--listen', RV, '--listen', '[::1]:27410'],
    'rendezvous listening',
  );
  await procs.start(
    ['home', '--id', 'cand-home', '--rendezvous', RV, '--listen', '127.0.0.3:27510'],
    'registered with rendezvous',
  );
  await procs.start(
    [
      'home',
      '--id',
      'cand6-home',
      '--rendezvous',
      RV,
      '--listen',
      '127.0.0.3:27511',
      '--portmap',
      'off',
      '--ipv6',
      '::1',
    ],
    'IPv6 candidate socket open',
  );
});

after(() => procs.stopAll());

const connect = (home: string, ...extra: string[]) => connectVia(RV, home, ...extra);
const connectVia = (rv: string, home: string, ...extra: string[]) =>
  run([
    'client',
    'connect',
    '--home',
    home,
    '--rendezvous',
    rv,
    '--bind',
    '127.0.0.4',
    '--sockets',
    '50',
    '--json',
    ...extra,
  ]);

test('client connect --json: both sides on IPv6 — "path":"ipv6", existing fields kept', (t) => {
  const r = connect('cand6-home', '--ipv6', '::1');
  assert.equal(r.status, 0, r.stderr);
  const j = jsonLine(r.stdout);
  t.diagnostic(`ipv6 in ${String(j.ms)} ms, ${String(j.packetsSent)} packets`);
  assert.equal(j.path, 'ipv6');
  assert.match(String(j.home), /^\[::1\]:\d+$/);
  for (const k of ['ms', 'attempts', 'packetsSent', 'socketsOpened'])
    assert.equal(typeof j[k], 'number', k);
  assert.ok((j.packetsSent as number) <= 10);
});

test('client connect --json: a v4-only client falls back to IPv4 traversal', () => {
  const r = connect('cand6-home', '--ipv6', 'off');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(jsonLine(r.stdout).path, 'punched');
});

test('client connect --json: a home without candidates (portmap auto finds no router) — punched', () => {
  const r = connect('cand-home', '--ipv6', '::1');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(jsonLine(r.stdout).path, 'punched');
});

test('rendezvous --listen refuses the dual-stack wildcard (v4-mapped addresses would leak)', () => {
  const r = run(['rendezvous', '--listen', '[::]:27420']);
  assert.equal(r.status, 1 + 1);
  assert.match(r.stderr, /explicit address per family/);
});

test('client connect --json: a v6-only client (rendezvous over IPv6) reaches a dual-stack home over IPv6', (t) => {
  const r = connectVia('[::1]:27410', 'cand6-home', '--ipv6', '::1');
  assert.equal(r.status, 0, r.stderr);
  const j = jsonLine(r.stdout);
  assert.equal(j.path, 'ipv6', r.stdout);
  t.diagnostic(`v6-only client: ipv6 in ${String(j.ms)} ms, ${String(j.packetsSent)} packets`);
});

test('client connect: a v6-only client and a v4-only home fail with an error naming that', () => {
  const r = connectVia('[::1]:27410', 'cand-home', '--ipv6', '::1');
  assert.notEqual(r.status, 0, r.stdout);
  assert.match(r.stderr + r.stdout, /v6-only client/);
  assert.match(r.stderr + r.stdout, /v4-only home/);
});
