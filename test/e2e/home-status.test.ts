// Issue 13 with real processes: `porthole home status` reads the running home's status.json
// (registration, port mapping, IPv6, advertised candidates), the home's --metrics shows the port
// mapping, a paired client's signed candidates query gets the secure home's IPv6 candidate (a
// stranger's does not), and a stopped home is reported as not running (exit 3).
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tmpdir } from 'node:os';
import { jsonLine, Procs, run } from '../support/cli.js';

const RV = '127.0.0.2:27430';
const METRICS = '127.0.0.3:27630';
const procs = new Procs();
const homeProc = new Procs();
const dir = mkdtempSync(join(tmpdir(), 'porthole-status-'));
const s = { dir, home: join(dir, 'home'), homeId: '' };

const status = (...extra: string[]) => run(['home', 'status', '--state', s.home, ...extra]);
const statusJson = () => jsonLine(status('--json').stdout);

before(async () => {
  const init = run(['home', 'init', '--state', s.home, '--json']);
  assert.equal(init.status, 0, init.stderr);
  s.homeId = String(jsonLine(init.stdout).homeId);
  await procs.start(
    ['rendezvous', '--listen', RV, '--listen', '[::1]:27430'],
    'rendezvous listening',
  );
});

after(() => {
  homeProc.stopAll();
  procs.stopAll();
});

test('home status: before the home ever ran, a clear "not running" (exit 3)', () => {
  const r = status();
  assert.equal(r.status, 3);
  assert.match(r.stderr, /the home is not running \(no status\.json/);
});

test('home status: registration, port mapping verdict, IPv6, candidates; metrics; signed query', async (t) => {
  await homeProc.start(
    [
      'home',
      '--state',
      s.home,
      '--rendezvous',
      RV,
      '--listen',
      '127.0.0.3:27530',
      '--ipv6',
      '::1',
      '--metrics',
      METRICS,
    ],
    'IPv6 candidate socket open',
  );
  assert.equal(statSync(join(s.home, 'status.json')).mode & 0o777, 0o600);
  let j = statusJson();
  assert.equal(j.running, true);
  const reg = j.registration as Record<string, unknown>;
  assert.equal(reg.registered, true);
  assert.equal(reg.rendezvous, RV);
  assert.match(String(reg.observed), /^127\.0\.0\.3:27530$/);
  assert.match(String((j.ipv6 as string[])[0]), /^\[::1\]:\d+$/);
  assert.ok((j.advertised as string[]).some((c) => c.startsWith('ipv6 [::1]:')));
  // No router on loopback: the mapper settles on "unavailable" (bounded wait) and says why.
  for (let i = 0; i < 40 && (j.portmap as { state: string }).state === 'probing'; i++) {
    await new Promise((r) => setTimeout(r, 250));
    j = statusJson();
  }
  const pm = j.portmap as { state: string; reason?: string };
  assert.equal(pm.state, 'unavailable', JSON.stringify(pm));
  assert.ok(pm.reason);
  const human = status();
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /port mapping: unavailable.*\(not advertised\)/);
  assert.match(human.stdout, /candidates \(to accepted clients only\): ipv6 \[::1\]/);
  t.diagnostic(human.stdout);

  const metrics = await (await fetch(`http://${METRICS}/metrics`)).text();
  assert.match(metrics, /porthole_portmap_state\{state="unavailable"[^}]*\} 1/);
  assert.match(metrics, /porthole_portmap_state\{state="mapped"[^}]*\} 0/);

  // Gap 2 end to end: the paired client's signed query is answered with the IPv6 candidate.
  const code = String(jsonLine(run(['home', 'pair', '--state', s.home, '--json']).stdout).code);
  const client = join(s.dir, 'paired');
  assert.equal(run(['client', 'init', '--state', client]).status, 0);
  const pair = run(['client', 'pair', code, '--state', client, '--bind', '127.0.0.4']);
  assert.equal(pair.status, 0, pair.stderr);
  const c = run([
    'client',
    'connect',
    '--state',
    client,
    '--home',
    s.homeId,
    '--bind',
    '127.0.0.4',
    '--ipv6',
    '::1',
    '--json',
  ]);
  assert.equal(c.status, 0, c.stderr);
  assert.equal(jsonLine(c.stdout).path, 'ipv6', c.stdout);
  // The same paired client as a v6-only one: its signed query goes over IPv6, forwarded all the same.
  const v6 = run([
    ...['client', 'connect', '--state', client, '--home', s.homeId],
    ...['--rendezvous', '[::1]:27430', '--ipv6', '::1', '--json'],
  ]);
  assert.equal(v6.status, 0, v6.stderr);
  assert.equal(jsonLine(v6.stdout).path, 'ipv6', v6.stdout);
});

test('home status: after SIGTERM, "not running (stopped at …)" with the last state, exit 3', async () => {
  homeProc.stopAll();
  let r = status();
  for (let i = 0; i < 40 && r.status === 0; i++) {
    await new Promise((res) => setTimeout(res, 200));
    r = status();
  }
  assert.equal(r.status, 3, r.stdout);
  assert.match(r.stderr, /the home is not running \(stopped at /);
  assert.match(r.stderr, /last known:/);
  const j = statusJson();
  assert.equal(j.running, false);
  assert.equal((j.registration as { registered: boolean }).registered, true, 'the last state');
});
