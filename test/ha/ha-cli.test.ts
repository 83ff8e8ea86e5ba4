// The Home Assistant source through the CLI, with real processes (no HA needed: HA down is the
// case under test): `home expose` saves the owner's rules, and a home whose HA is unreachable keeps
// running and says why in its log and in `home status`.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { jsonLine, Procs, run } from '../support/cli.js';
import { freePort } from '../support/mosquitto.js';

const dir = mkdtempSync(join(tmpdir(), 'porthole-ha-cli-'));
const home = join(dir, 'home');
const procs = new Procs();
// Below the ephemeral range, from the pid (other e2e tests take fixed ports in 27xxx).
const base = 10_000 + ((process.pid * 7) % 4000) * 2;
const RV = `127.0.0.2:${base}`;

before(() => {
  const init = run(['home', 'init', '--state', home, '--json']);
  assert.equal(init.status, 0, init.stderr);
});

after(() => procs.stopAll());

test('home expose: defaults, add, remove, per-client, reset; bad input is a clear error', () => {
  const list = run(['home', 'expose', 'list', '--state', home]);
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /everything except lock\.\*, alarm_control_panel\.\* and covers/);
  const add = run(['home', 'expose', 'add', 'lock.front_door', '--state', home, '--json']);
  assert.equal(add.status, 0, add.stderr);
  assert.deepEqual(jsonLine(add.stdout).expose, ['lock.front_door']);
  const rm = run(['home', 'expose', 'remove', 'camera.*', 'lock.front_door', '--state', home]);
  assert.equal(rm.status, 0, rm.stderr);
  assert.match(rm.stdout, /every client: hide camera\.\* lock\.front_door/);
  const file = join(home, 'ha-exposure.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
    expose: [],
    hide: ['camera.*', 'lock.front_door'],
    clients: {},
  });
  const reset = run(['home', 'expose', 'reset', '--state', home, '--json']);
  assert.deepEqual(jsonLine(reset.stdout).hide, []);
  const noClient = run(['home', 'expose', 'add', 'lock.*', '--client', 'ZZZZ', '--state', home]);
  assert.equal(noClient.status, 2);
  assert.match(noClient.stderr, /no paired client has fingerprint ZZZZ/);
  const bad = run(['home', 'expose', 'add', 'Not An Id', '--state', home]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /is not an entity id or pattern/);
});

test('HA down at start: the home runs, logs why and `home status` shows it', async () => {
  const token = join(dir, 'ha-token');
  writeFileSync(token, 'eyJ.some.token\n', { mode: 0o600 });
  const haPort = await freePort(); // nothing listens there
  await procs.start(['rendezvous', '--listen', RV], 'rendezvous listening');
  const noToken = run([
    'home',
    '--state',
    home,
    '--rendezvous',
    RV,
    '--listen',
    `127.0.0.3:${base + 1}`,
    '--devices',
    `ha://127.0.0.1:${haPort}`,
  ]);
  assert.equal(noToken.status, 1);
  assert.match(noToken.stderr, /needs --ha-token-file FILE/);
  await procs.start(
    [
      'home',
      '--state',
      home,
      '--rendezvous',
      RV,
      '--listen',
      `127.0.0.3:${base + 1}`,
      '--portmap',
      'off',
      '--ipv6',
      'off',
      '--devices',
      `ha://127.0.0.1:${haPort}`,
      '--ha-token-file',
      token,
    ],
    'device source not live',
  );
  let st: Record<string, unknown> = {};
  for (let i = 0; i < 100; i++) {
    st = jsonLine(run(['home', 'status', '--state', home, '--json']).stdout);
    if (st.devices) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(st.running, true);
  const devices = st.devices as { live: boolean; error: string };
  assert.equal(devices.live, false);
  assert.match(devices.error, /cannot reach Home Assistant at ws:\/\/127\.0\.0\.1:\d+/);
  const human = run(['home', 'status', '--state', home]);
  assert.match(human.stdout, /devices: NOT LIVE: cannot reach Home Assistant/);
});
