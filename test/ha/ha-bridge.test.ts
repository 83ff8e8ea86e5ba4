// The Home Assistant bridge against a real Home Assistant Core (installed from PyPI into a cached
// venv by scripts/ha-venv.mjs; one HA for this whole file): list, read, command, state pushes over
// a punched path on loopback, exposure, an unavailable entity, HA restarted mid-session, a bad
// token and HA down at start. Latencies and the restart time are printed, never asserted.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startAppServer } from '../../src/app/server.js';
import { AppSession } from '../../src/app/session.js';
import { startLoopbackRendezvous, LOOPBACK } from '../../src/cli/demo.js';
import { reach } from '../../src/client/reach.js';
import { connectAsync } from '../../src/client/connector.js';
import { writeExposure } from '../../src/devices/exposure.js';
import { HaBridge, openHaBridge } from '../../src/devices/ha-bridge.js';
import { parseEntityState, type EntityState } from '../../src/devices/model.js';
import { DeviceClient } from '../../src/devices/rpc-client.js';
import { serveDevices } from '../../src/devices/rpc-server.js';
import { decodeRpc, encodeRpc } from '../../src/devices/rpc-wire.js';
import { runHome, untilRegistered, type RunningHome } from '../../src/home/run.js';
import { realClock, realEnv } from '../../src/net/real-env.js';
import { silentLogger, type SocketAddr } from '../../src/net/types.js';
import { percentile } from '../../src/sim/stats.js';
import { launchChromium } from '../support/browser.js';
import { channelPair } from '../support/fakes.js';
import { haWsCommand, startHomeAssistant, type RunningHa } from '../support/home-assistant.js';
import { freePort } from '../support/mosquitto.js';
import { jsonLine, pairedStack, Procs, run } from '../support/cli.js';

let ha: RunningHa;
let bridge: HaBridge;
let home: RunningHome | undefined;
let client: DeviceClient;
let closeRv: (() => void) | undefined;
let closeConn: (() => void) | undefined;
let homeRv: SocketAddr | undefined;
const print = (s: string): void => void process.stdout.write(`# ${s}\n`);

async function until<T>(what: string, ms: number, f: () => T | undefined | false): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const callHa = (service: string, entity: string): Promise<unknown> =>
  haWsCommand(ha.port, ha.token, {
    type: 'call_service',
    domain: entity.split('.')[0],
    service,
    target: { entity_id: entity },
  });

before(async () => {
  const t0 = Date.now();
  ha = await startHomeAssistant();
  print(
    `Home Assistant started in ${ha.startSeconds.toFixed(1)} s, onboarded ` +
      `${((Date.now() - t0) / 1000).toFixed(1)} s after the test asked`,
  );
  bridge = await openHaBridge(ha.spec, ha.tokenFile, realClock);
  await until('the bridge to go live', 30_000, () => bridge.health().live);
});

const procs = new Procs();

after(async () => {
  procs.stopAll();
  client?.close();
  closeConn?.();
  home?.close();
  closeRv?.();
  bridge?.close();
  await ha?.stop();
});

test('list and read: every HA domain, lights in kelvin, unknown domains read-only, areas', async () => {
  const all = bridge.list();
  const ids = new Set(all.map((s) => s.entity_id));
  for (const id of [
    'light.bed_light',
    'switch.decorative_lights',
    'climate.hvac',
    'cover.kitchen_window',
    'fan.living_room_fan',
    'lock.front_door',
    'sensor.outside_temperature',
    'binary_sensor.movement_backyard',
    'weather.demo_weather_south',
  ])
    assert.ok(ids.has(id), `${id} listed`);
  const ceiling = bridge.get('light.ceiling_lights')!;
  assert.equal(ceiling.state, 'on');
  const seen = JSON.stringify(ceiling);
  assert.ok('color_temp_kelvin' in ceiling.attributes, seen);
  assert.equal(typeof ceiling.attributes.max_color_temp_kelvin, 'number', seen);
  assert.equal(ceiling.attributes.friendly_name, 'Ceiling Lights');
  assert.ok(ceiling.lists?.supported_color_modes?.length);
  const cover = bridge.get('cover.hall_window')!;
  assert.equal(typeof cover.attributes.current_position, 'number');
  await assert.rejects(
    bridge.execute('weather.demo_weather_south', { service: 'turn_on' }),
    /read-only/,
  );
  await assert.rejects(
    bridge.execute('sensor.outside_temperature', { service: 'toggle' }),
    /read-only/,
  );

  // Areas: the entity's own, else its device's.
  await haWsCommand(ha.port, ha.token, {
    type: 'config/entity_registry/update',
    entity_id: 'light.bed_light',
    area_id: 'bedroom',
  });
  const reg = (await haWsCommand(ha.port, ha.token, {
    type: 'config/entity_registry/get',
    entity_id: 'light.kitchen_lights',
  })) as { device_id: string };
  await haWsCommand(ha.port, ha.token, {
    type: 'config/device_registry/update',
    device_id: reg.device_id,
    area_id: 'kitchen',
  });
  await until('areas', 10_000, () => bridge.get('light.bed_light')?.area === 'Bedroom');
  await until('device area', 10_000, () => bridge.get('light.kitchen_lights')?.area === 'Kitchen');
});

const exposureDir = mkdtempSync(join(tmpdir(), 'porthole-ha-exposure-'));

test('over a punched path: list, command, pushes (latencies printed), exposure', async () => {
  const env = realEnv(silentLogger);
  const { rv, rvAddr } = await startLoopbackRendezvous(env);
  closeRv = () => rv.close();
  homeRv = rvAddr;
  const running = await runHome(env, {
    id: 'ha-home',
    rendezvous: rvAddr,
    listen: { ip: LOOPBACK.home, port: 0 },
    localIps: [],
    devices: bridge,
    exposureDir,
  });
  home = running;
  await untilRegistered(env, running.agent);
  const r = await connectAsync(env, {
    home: 'ha-home',
    rendezvous: rvAddr,
    bindIp: LOOPBACK.client,
    forceAssist: true,
  });
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.equal(r.report.path, 'punched');
  closeConn = () => r.connection.close();
  const rtts: number[] = [];
  for (let i = 0; i < 10; i++) {
    const rtt = await new Promise<number | undefined>((res) => r.connection.ping(1000, res));
    if (rtt !== undefined) rtts.push(rtt);
  }
  client = new DeviceClient(r.connection, env.clock, env.rng);

  // List (wire v2): every domain but the ones hidden by default.
  const listed = await client.list();
  const ids = listed.map((s) => s.entity_id);
  assert.ok(ids.includes('weather.demo_weather_south'));
  assert.ok(ids.includes('fan.living_room_fan'));
  assert.ok(!ids.some((id) => id.startsWith('lock.')), 'locks hidden by default');
  assert.ok(!ids.some((id) => id.startsWith('alarm_control_panel.')));
  assert.ok(!ids.includes('cover.garage_door'), 'a garage door is hidden by default');
  assert.equal(listed.find((s) => s.entity_id === 'light.bed_light')?.area, 'Bedroom');
  await assert.rejects(client.call('lock.front_door', { service: 'unlock' }), /no such entity/);

  // Command → one call_service → the new state back; HA's own time measured by the bridge.
  const pushes: { s: EntityState; at: number }[] = [];
  await client.watch((s) => pushes.push({ s, at: Date.now() }));
  const cmdMs: number[] = [];
  const serviceMs: number[] = [];
  for (let i = 0; i < 10; i++) {
    const before = (await client.get('light.bed_light')).state;
    const t0 = performance.now();
    const after = await client.call('light.bed_light', { service: 'toggle' });
    cmdMs.push(performance.now() - t0);
    serviceMs.push(bridge.stats.lastServiceMs ?? NaN);
    assert.notEqual(after.state, before);
  }
  await client.call('light.bed_light', {
    service: 'turn_on',
    brightness: 128,
    color_temp_kelvin: 3000,
  });
  const lit = await client.get('light.bed_light');
  assert.equal(lit.state, 'on');
  assert.equal(lit.attributes.brightness, 128);
  assert.equal(lit.attributes.color_temp_kelvin, 3000);
  await client.call('cover.hall_window', { service: 'set_position', position: 40 });

  // HA state change → the watching client: HA's own last_changed vs the push's arrival.
  const pushMs: number[] = [];
  for (let i = 0; i < 10; i++) {
    const n = pushes.length;
    await callHa('toggle', 'switch.decorative_lights');
    const p = await until('a push', 5000, () =>
      pushes.slice(n).find((x) => x.s.entity_id === 'switch.decorative_lights'),
    );
    pushMs.push(p.at - Date.parse(p.s.last_changed));
  }
  const stat = (xs: number[]): string =>
    `p50 ${percentile(xs, 50).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
  print(`punched path rtt: ${stat(rtts)}`);
  print(`HA state change → watching client: ${stat(pushMs)} (n=${pushMs.length})`);
  print(`command → new state back: ${stat(cmdMs)}; of it HA's call_service: ${stat(serviceMs)}`);

  // Exposure on the running home: hide the switch → its pushes stop; expose the lock → listed.
  writeExposure(exposureDir, {
    expose: ['lock.front_door'],
    hide: ['switch.decorative_lights'],
    clients: {},
  });
  const n = pushes.length;
  await callHa('toggle', 'switch.decorative_lights');
  await callHa('toggle', 'light.ceiling_lights');
  await until('the light push', 5000, () =>
    pushes.slice(n).find((x) => x.s.entity_id === 'light.ceiling_lights'),
  );
  assert.ok(!pushes.slice(n).some((x) => x.s.entity_id === 'switch.decorative_lights'));
  assert.equal((await client.get('lock.front_door')).state, 'locked');
  await assert.rejects(client.get('switch.decorative_lights'), /no such entity/);
});

test(
  'the laptop dashboard in Chromium toggles an HA light over a punched path; HA reports it',
  { timeout: 90_000 },
  async (t) => {
    assert.ok(homeRv, 'the home of the punched-path test is running');
    const rendezvous = homeRv;
    const env = realEnv(silentLogger);
    const session = new AppSession(
      () => reach(env, { home: 'ha-home', rendezvous, bindIp: LOOPBACK.client, sockets: 20 }),
      env,
    );
    t.after(() => session.close());
    const server = await startAppServer(session, { port: 0 });
    t.after(() => server.close());
    await session.start();
    assert.equal(session.status.path, 'punched');

    const browser = await launchChromium({ width: 1280, height: 800 });
    t.after(() => browser.close());
    const page = await browser.newPage();
    await page.goto(server.url);
    const badge = page.getByTestId('badge').filter({ hasText: 'punched' });
    await badge.waitFor({ timeout: 10_000 });
    assert.equal(await badge.getAttribute('data-path'), 'direct');

    const id = 'light.bed_light';
    const card = page.locator(`[data-entity-id="${id}"]`);
    await card.waitFor({ timeout: 15_000 });
    const haState = async (): Promise<string> => {
      const r = await fetch(`${ha.http}/api/states/${id}`, {
        headers: { authorization: `Bearer ${ha.token}` },
      });
      assert.ok(r.ok, `HTTP ${r.status}`);
      return ((await r.json()) as { state: string }).state;
    };
    const t0 = Date.now();
    for (let i = 0; i < 2; i++) {
      const was = await card.getAttribute('data-state');
      assert.ok(was === 'on' || was === 'off', `data-state ${was}`);
      assert.equal(await haState(), was);
      const want = was === 'on' ? 'off' : 'on';
      await page.getByTestId(`toggle-${id}`).click();
      await page
        .locator(`[data-entity-id="${id}"][data-state="${want}"]`)
        .waitFor({ timeout: 10_000 });
      assert.equal(await haState(), want, 'HA itself reports the new state');
    }
    print(`dashboard: two toggles seen in the page and in HA in ${Date.now() - t0} ms`);
    assert.equal(session.status.path, 'punched');
  },
);

test('an older client (wire v1) gets only what its strict decoder reads', async () => {
  const [a, b] = channelPair(realClock);
  serveDevices(b, bridge, realClock);
  const got: EntityState[] = [];
  let offset: number | undefined = 0;
  for (let id = 1; offset !== undefined && id < 50; id++) {
    const res = await new Promise<unknown>((resolve) => {
      a.onMessage((d) => {
        const m = decodeRpc(d);
        if (m?.t === 'res' && m.id === id) resolve(m.ok ? m.r : m.e);
      });
      a.send(encodeRpc({ t: 'req', id, m: 'list', p: { offset } }));
    });
    const page = res as { items: unknown[]; next?: number };
    for (const s of page.items) got.push(parseEntityState(s)); // the old decoder: throws on v2
    offset = page.next;
  }
  const domains = new Set(got.map((s) => s.entity_id.split('.')[0]));
  assert.ok(domains.has('light') && domains.has('climate') && domains.has('cover'));
  assert.ok(!domains.has('fan') && !domains.has('weather'), [...domains].join());
  assert.ok(got.every((s) => !('area' in s) && !('lists' in s)));
});

test('a command on an unavailable entity is refused by the bridge', async () => {
  const r = await fetch(`${ha.http}/api/states/switch.ac`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ha.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ state: 'unavailable' }),
  });
  assert.ok(r.ok, `HTTP ${r.status}`);
  await until('unavailable', 5000, () => bridge.get('switch.ac')?.state === 'unavailable');
  const calls = bridge.stats.calls;
  await assert.rejects(client.call('switch.ac', { service: 'turn_on' }), /unavailable/);
  assert.equal(bridge.stats.calls, calls, 'nothing reached HA');
});

test('HA restarted mid-session: stale meanwhile, every entity live again (time printed)', async () => {
  const ids = bridge.list().map((s) => s.entity_id);
  const health: boolean[] = [];
  client.onHealth((h) => health.push(h.live));
  const resyncs = bridge.stats.resyncs;
  const restarted = ha.restart();
  await until('the bridge to notice', 20_000, () => !bridge.health().live);
  const stale = await client.get('light.bed_light');
  assert.equal(stale.stale, true);
  await assert.rejects(client.call('light.bed_light', { service: 'toggle' }), /unreachable/);
  const answeredAt = await restarted;
  await until('every entity live again', 60_000, () => {
    if (!bridge.health().live || bridge.stats.resyncs === resyncs) return false;
    const now = new Set(bridge.list().map((s) => s.entity_id));
    return ids.every((id) => now.has(id));
  });
  print(
    `HA restart: every entity live again ${Date.now() - answeredAt} ms after HA answered HTTP ` +
      `(${ids.length} entities)`,
  );
  await until('the client told live', 10_000, () => health.includes(false) && health.at(-1));
  const fresh = await client.get('light.bed_light');
  assert.equal(fresh.stale, undefined);
  const after = await client.call('light.bed_light', { service: 'toggle' });
  assert.notEqual(after.state, fresh.state);
});

test('a bad token and HA down at start: clear errors, nothing thrown, retried', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-ha-bad-'));
  const bad = join(dir, 'token');
  writeFileSync(bad, 'not-a-valid-token\n');
  const b1 = await openHaBridge(ha.spec, bad, realClock);
  try {
    assert.equal(b1.health().live, false);
    assert.match(b1.health().error ?? '', /refused the access token/);
    assert.equal(b1.linkState, 'auth-failed');
    await assert.rejects(b1.execute('light.bed_light', { service: 'toggle' }), /unreachable/);
    assert.deepEqual(b1.list(), []);
  } finally {
    b1.close();
  }
  const port = await freePort();
  const b2 = await openHaBridge(`ha://127.0.0.1:${port}`, ha.tokenFile, realClock);
  try {
    assert.equal(b2.health().live, false);
    assert.match(b2.health().error ?? '', /cannot reach Home Assistant/);
  } finally {
    b2.close();
  }
  await assert.rejects(openHaBridge(ha.spec, undefined, realClock), /--ha-token-file/);
});

test('the CLI end to end: a secure home on HA, an owner and a guest phone, per-client exposure', async () => {
  // The home takes the source and token from the environment, like any option.
  process.env.PORTHOLE_DEVICES = ha.spec;
  process.env.PORTHOLE_HA_TOKEN_FILE = ha.tokenFile;
  const base = 10_000 + ((process.pid * 11) % 4000) * 2;
  let stack;
  try {
    stack = await pairedStack(procs, {
      rvArgs: ['--listen', `127.0.0.2:${base}`],
      homeListen: `127.0.0.3:${base + 1}`,
      clients: ['owner', 'guest'],
    });
  } finally {
    delete process.env.PORTHOLE_DEVICES;
    delete process.env.PORTHOLE_HA_TOKEN_FILE;
  }
  const { home, homeId, clients } = stack;
  const fps = run(['home', 'clients', '--state', home, '--json'])
    .stdout.trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { fingerprint: string; addedAt: string })
    .sort((a, b) => a.addedAt.localeCompare(b.addedAt));
  const guestFp = fps[1]!.fingerprint;
  assert.equal(run(['home', 'expose', 'add', 'lock.front_door', '--state', home]).status, 0);
  const hide = run(['home', 'expose', 'remove', 'lock.*', '--client', guestFp, '--state', home]);
  assert.equal(hide.status, 0, hide.stderr);
  const as = (who: string, ...args: string[]) =>
    run([
      'client',
      ...args,
      '--state',
      clients[who]!,
      '--home',
      homeId,
      '--bind',
      '127.0.0.4',
      '--json',
    ]);
  const owner = as('owner', 'get', 'lock.front_door');
  assert.equal(owner.status, 0, owner.stderr);
  assert.equal(jsonLine(owner.stdout).entity_id, 'lock.front_door');
  const guest = as('guest', 'set', 'lock.front_door', 'unlock');
  assert.equal(guest.status, 1);
  assert.match(guest.stdout + guest.stderr, /no such entity/);
  const fan = as('guest', 'set', 'fan.living_room_fan', 'percentage=50');
  assert.equal(fan.status, 0, fan.stderr);
  assert.equal(jsonLine(fan.stdout).state, 'on');
  const list = as('guest', 'devices');
  const ids = list.stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as EntityState).entity_id);
  assert.ok(ids.includes('weather.demo_weather_south') && !ids.some((i) => i.startsWith('lock.')));
  const st = jsonLine(run(['home', 'status', '--state', home, '--json']).stdout);
  assert.deepEqual((st.devices as { live: boolean }).live, true);
});
