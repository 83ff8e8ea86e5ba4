import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ClientAgent } from '../../src/client/agent/agent.js';
import { ControlClient } from '../../src/client/agent/control-client.js';
import { ControlServer } from '../../src/client/agent/control-server.js';
import type { HomeStatus } from '../../src/client/agent/control-wire.js';
import type { KeptLink } from '../../src/client/agent/keeper.js';
import { RequestMemory } from '../../src/devices/request-memory.js';
import { serveDevices } from '../../src/devices/rpc-server.js';
import { SimulatedHouse } from '../../src/devices/simulated.js';
import { cryptoRandom, realClock } from '../../src/net/real-env.js';
import { silentLogger } from '../../src/net/types.js';
import { isPortholeError } from '../../src/errors.js';
import { channelPair } from '../support/fakes.js';

/** A home on an in-memory channel; `alive` decides whether pings are answered, `blackhole`
 *  drops every frame, `dropAnswers` only the home's. One request memory for all its channels. */
function fakeHome() {
  const house = new SimulatedHouse(realClock);
  const net = {
    alive: true,
    blackhole: false,
    dropAnswers: false,
    connects: 0,
    serverRequests: () => 0,
  };
  const servers: Array<ReturnType<typeof serveDevices>> = [];
  const memory = new RequestMemory();
  const connect = (): Promise<KeptLink> => {
    net.connects++;
    const [a, b] = channelPair(realClock, (f, dir) =>
      net.blackhole || (dir === 'ba' && net.dropAnswers) ? undefined : f,
    );
    const server = serveDevices(b, house, realClock, { memory, client: 'client-a' });
    servers.push(server);
    net.serverRequests = () => server.stats.requests;
    return Promise.resolve({
      channel: a,
      ping: (_ms, cb) => setImmediate(() => cb(net.alive ? 0.5 : undefined)),
      close: () => {},
      path: 'punched',
      remote: '198.51.100.7:40001',
    });
  };
  const stop = (): void => {
    for (const s of servers) s.close();
    house.close();
  };
  return { house, net, servers, connect, stop };
}

/** `more` replaces whole options (e.g. a keeper without the fast pings). */
function startAgent(
  connect: () => Promise<KeptLink>,
  keeper = {},
  rpc = {},
  more: Partial<ConstructorParameters<typeof ClientAgent>[0]> = {},
) {
  const agent = new ClientAgent({
    homes: ['ph-test'],
    connect,
    clock: realClock,
    rng: cryptoRandom,
    log: silentLogger,
    wallNow: () => Date.now(),
    keeper: { pingEveryMs: 50, pingTimeoutMs: 20, suspectPingMs: 10, backoffBaseMs: 10, ...keeper },
    rpc,
    ...more,
  });
  agent.start();
  return agent;
}

test('50 commands through the control socket: all answered, one connect', async () => {
  const home = fakeHome();
  const agent = startAgent(home.connect);
  const dir = mkdtempSync(join(tmpdir(), 'ph-agent-'));
  const server = new ControlServer(join(dir, 'agent.sock'), agent);
  await server.listen();
  assert.equal(statSync(join(dir, 'agent.sock')).mode & 0o777, 0o600);
  const c = await ControlClient.connect(join(dir, 'agent.sock'));
  try {
    const before = home.house.get('light.kitchen')!.state;
    for (let i = 0; i < 50; i++) await c.call(undefined, 'light.kitchen', { service: 'toggle' });
    assert.equal(
      home.house.get('light.kitchen')!.state,
      before,
      '50 toggles applied exactly once each',
    );
    assert.equal(home.net.serverRequests(), 50);
    assert.equal(home.net.connects, 1);
    const [st] = await c.status();
    assert.equal(st?.state, 'up');
    assert.equal(st?.path, 'punched');
    await assert.rejects(c.get(undefined, 'light.nope'), (e) => isPortholeError(e));
    await assert.rejects(c.list('ph-other'), (e) => isPortholeError(e, 'home-unknown'));
  } finally {
    c.close();
    await server.close();
    agent.stop();
    home.stop();
  }
});

test('a dead path is noticed and reconnected; the watch stream resumes on the new link', async () => {
  const home = fakeHome();
  const agent = startAgent(home.connect);
  const dir = mkdtempSync(join(tmpdir(), 'ph-agent-'));
  const server = new ControlServer(join(dir, 'agent.sock'), agent);
  await server.listen();
  const c = await ControlClient.connect(join(dir, 'agent.sock'));
  try {
    const states: string[] = [];
    const paths: HomeStatus[] = [];
    await c.watch(
      undefined,
      (s) => states.push(`${s.entity_id}=${s.state}`),
      (p) => paths.push(p),
    );
    await c.call(undefined, 'light.kitchen', { service: 'turn_on' });
    home.net.alive = false;
    const deadline = Date.now() + 3000;
    while (!paths.some((p) => p.state === 'down') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    home.net.alive = true;
    assert.ok(
      paths.some((p) => p.state === 'down'),
      'the dead path was reported',
    );
    while (home.net.connects < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const after = await c.call(undefined, 'light.kitchen', { service: 'turn_off' });
    assert.equal(after.state, 'off');
    while (!states.includes('light.kitchen=off') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    assert.ok(states.includes('light.kitchen=off'), 'the watch saw the change after the reconnect');
    const st = (await c.status())[0]!;
    assert.equal(st.state, 'up');
    assert.equal(st.reconnects, 1);
  } finally {
    c.close();
    await server.close();
    agent.stop();
    home.stop();
  }
});

test('a second agent on the same socket is refused; bad request lines get errors, not crashes', async () => {
  const home = fakeHome();
  const agent = startAgent(home.connect);
  const dir = mkdtempSync(join(tmpdir(), 'ph-agent-'));
  const path = join(dir, 'agent.sock');
  const server = new ControlServer(path, agent);
  await server.listen();
  try {
    await assert.rejects(new ControlServer(path, agent).listen(), /already running/);
    const { createConnection } = await import('node:net');
    const s = createConnection(path);
    const got: string[] = [];
    s.setEncoding('utf8');
    s.on('data', (d: string) => got.push(...d.split('\n').filter(Boolean)));
    s.write(
      'not json\n{"id":1,"op":"rm -rf"}\n{"id":2,"op":"get","entity":"../etc"}\n{"id":3,"op":"status"}\n',
    );
    const deadline = Date.now() + 2000;
    while (got.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    s.destroy();
    assert.equal(got.length, 4);
    const replies = got.map((l) => JSON.parse(l) as { ok?: boolean; kind?: string });
    assert.deepEqual(
      replies.slice(0, 3).map((r) => r.ok),
      [false, false, false],
    );
    assert.equal(replies[3]?.ok, true);
  } finally {
    await server.close();
    agent.stop();
    home.stop();
  }
});

test('the web app through a running agent: devices listed and commanded, badge from the agent', async () => {
  const { AgentAppBackend } = await import('../../src/app/agent-backend.js');
  const { startAppServer } = await import('../../src/app/server.js');
  const home = fakeHome();
  const agent = startAgent(home.connect);
  const dir = mkdtempSync(join(tmpdir(), 'ph-agent-'));
  const server = new ControlServer(join(dir, 'agent.sock'), agent);
  await server.listen();
  const backend = new AgentAppBackend(await ControlClient.connect(server.path), undefined);
  await backend.start();
  const app = await startAppServer(backend, { port: 0, host: '127.0.0.1' });
  try {
    const deadline = Date.now() + 3000;
    while (backend.status.state !== 'connected' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(backend.status.state, 'connected');
    const list = (await (await fetch(`${app.url}/api/devices`)).json()) as unknown[];
    assert.ok(list.length > 3);
    const res = await fetch(`${app.url}/api/devices/light.kitchen`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: { service: 'turn_on' } }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(home.house.get('light.kitchen')!.state, 'on');
  } finally {
    await app.close();
    backend.close();
    await server.close();
    agent.stop();
    home.stop();
  }
});

test('reload keeps exactly the paired homes: a new one starts, a removed one stops', async () => {
  const home = fakeHome();
  const agent = startAgent(home.connect);
  try {
    agent.reload(['ph-test', 'ph-new']);
    const deadline = Date.now() + 2000;
    while (agent.status().some((s) => s.state !== 'up') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(
      agent.status().map((s) => `${s.home}:${s.state}`),
      ['ph-test:up', 'ph-new:up'],
    );
    agent.reload(['ph-new']);
    assert.deepEqual(
      agent.status().map((s) => s.home),
      ['ph-new'],
    );
    await assert.rejects(agent.list('ph-test'), (e) => isPortholeError(e, 'home-unknown'));
  } finally {
    agent.stop();
    home.stop();
  }
});

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a command in flight when the link dies: the path checked at once, carried to the next link, applied once', async () => {
  const home = fakeHome();
  // Idle pings far apart: only the request's suspicion (~1 s) can find the dead path quickly.
  const agent = startAgent(home.connect, { pingEveryMs: 60_000 });
  try {
    await agent.call(undefined, 'light.kitchen', { service: 'turn_on' });
    // The next command reaches the home (and is applied), its answers are lost, the path dies.
    home.net.dropAnswers = true;
    home.net.alive = false;
    const t0 = Date.now();
    const call = agent.call(undefined, 'light.kitchen', { service: 'toggle' });
    await until('the reconnect', () => home.net.connects >= 2);
    const detectMs = Date.now() - t0;
    home.net.dropAnswers = false;
    home.net.alive = true;
    const st = await call;
    assert.equal(st.state, 'off', 'the toggle answered with its one application');
    assert.equal(home.house.get('light.kitchen')!.state, 'off');
    assert.equal(home.servers[0]!.stats.requests, 2);
    assert.equal(home.servers[1]!.stats.requests, 0, 'the second link applied nothing');
    assert.ok(home.servers[1]!.stats.duplicates >= 1, 'it answered from memory');
    assert.ok(detectMs < 3000, `the dead path was found in ${detectMs} ms`);
    assert.equal(agent.status()[0]?.reconnects, 1);
  } finally {
    agent.stop();
    home.stop();
  }
});

test('a command the home never got, past its window: reported not applied, never applied', async () => {
  const home = fakeHome();
  const agent = startAgent(
    home.connect,
    { pingEveryMs: 60_000 },
    { timeoutMs: 300, resolveMs: 5000 },
  );
  try {
    await agent.call(undefined, 'light.kitchen', { service: 'turn_on' });
    home.net.blackhole = true;
    home.net.alive = false;
    const t0 = Date.now();
    const call = agent.call(undefined, 'light.kitchen', { service: 'turn_off' });
    call.catch(() => {});
    await until('the reconnect', () => home.net.connects >= 2);
    await until('the window to apply it is over', () => Date.now() - t0 > 400);
    home.net.blackhole = false;
    home.net.alive = true;
    await assert.rejects(call, (e: Error) => /^not applied/.test(e.message));
    assert.equal(home.house.get('light.kitchen')!.state, 'on', 'not applied, and never will be');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(home.house.get('light.kitchen')!.state, 'on');
  } finally {
    agent.stop();
    home.stop();
  }
});

test('a link whose liveness is owned below: the keeper never pings it, reconnects when told', async () => {
  const home = fakeHome();
  let pings = 0;
  let suspected = 0;
  const lostCbs: Array<(reason: string) => void> = [];
  const connect = async (): Promise<KeptLink> => {
    const link = await home.connect();
    return {
      ...link,
      ping: (ms, cb) => {
        pings++;
        link.ping(ms, cb);
      },
      onLost: (cb) => void lostCbs.push(cb),
      suspect: () => void suspected++,
      rttMs: () => 4.2,
    };
  };
  const agent = startAgent(connect, { pingEveryMs: 20 });
  try {
    await agent.call(undefined, 'light.kitchen', { service: 'turn_on' });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(pings, 0, 'no keeper pings');
    assert.equal(agent.status()[0]?.rttMs, 4.2);
    home.net.blackhole = true;
    const call = agent.call(undefined, 'light.kitchen', { service: 'turn_off' });
    await until('the suspicion', () => suspected > 0);
    assert.equal(home.net.connects, 1, 'a suspicion alone does not reconnect');
    home.net.blackhole = false;
    lostCbs[0]!('direct path lost; relay: refused');
    await until('the reconnect', () => home.net.connects === 2);
    assert.equal((await call).state, 'off');
    assert.equal(agent.status()[0]?.reconnects, 1);
  } finally {
    agent.stop();
    home.stop();
  }
});

test('a home that crashed (answers nothing, says no goodbye): found by the end-to-end ping, reported unreachable, commands meanwhile not applied, back when it is', async () => {
  const home = fakeHome();
  let crashed = false;
  const lostCbs: Array<(reason: string) => void> = [];
  // A relayed link: liveness owned below, no ping of its own, never told it is lost.
  const connect = async (): Promise<KeptLink> => {
    if (crashed) throw new Error('the home did not answer the relay');
    const link = await home.connect();
    return { ...link, path: 'relayed', onLost: (cb) => void lostCbs.push(cb) };
  };
  const changes: HomeStatus[] = [];
  const agent = startAgent(
    connect,
    {},
    {},
    {
      keeper: { backoffBaseMs: 20, backoffMaxMs: 100 },
      liveness: { everyMs: 40, timeoutMs: 60, misses: 4 },
      waitUpMs: 200,
    },
  );
  const w = await agent.watch(
    undefined,
    () => {},
    (s) => changes.push(s),
  );
  try {
    await agent.call(undefined, 'light.kitchen', { service: 'turn_on' });
    // A blip shorter than the misses: no reconnect (no flapping).
    home.net.blackhole = true;
    await new Promise((r) => setTimeout(r, 90));
    home.net.blackhole = false;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(home.net.connects, 1, 'a 90 ms blip did not reconnect');
    // The crash: nothing answers, and connects fail.
    crashed = true;
    home.net.blackhole = true;
    const t0 = Date.now();
    await until('down', () => agent.status()[0]?.state !== 'up', 3000);
    const downMs = Date.now() - t0;
    const down = changes.find((s) => s.state === 'down');
    assert.match(down?.lastError ?? '', /^home unreachable: no answer to 4 pings/);
    assert.ok(downMs < 2000, `found in ${downMs} ms`);
    await assert.rejects(
      agent.call(undefined, 'light.kitchen', { service: 'turn_off' }),
      (e: Error) => /^not applied: home ph-test is (down|connecting)/.test(e.message),
    );
    assert.equal(home.house.get('light.kitchen')!.state, 'on');
    // The home is back: the agent reconnects by itself (backoff), commands work again.
    crashed = false;
    home.net.blackhole = false;
    await until('up again', () => agent.status()[0]?.state === 'up', 3000);
    assert.equal(
      (await agent.call(undefined, 'light.kitchen', { service: 'turn_off' })).state,
      'off',
    );
    assert.equal(lostCbs.length >= 2, true);
  } finally {
    w();
    agent.stop();
    home.stop();
  }
});
