// The remote procedure layer over a channel that loses, duplicates and reorders messages, on a
// fake clock: commands run exactly once, watchers end up with the home's true state, and hostile
// input never throws.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceSource, EntityState } from '../../src/devices/model.js';
import { DeviceClient } from '../../src/devices/rpc-client.js';
import { serveDevices } from '../../src/devices/rpc-server.js';
import { decodeRpc, encodeRpc, MAX_RPC } from '../../src/devices/rpc-wire.js';
import { SimulatedHouse } from '../../src/devices/simulated.js';
import { FakeClock, SeqRandom } from '../support/fakes.js';
import { lossyPair, runFor, settle, type LossyOptions } from './lossy-pair.js';

function setup(o: LossyOptions, seed = 7, source?: DeviceSource) {
  const clock = new FakeClock();
  const house = source ?? new SimulatedHouse(clock);
  const link = lossyPair(clock, new SeqRandom(seed), o);
  const server = serveDevices(link.home, house, clock);
  const client = new DeviceClient(link.client, clock, new SeqRandom(1), {
    retransmitMs: 300,
    maxSends: 10,
    timeoutMs: 5000,
    keepaliveMs: 2000,
  });
  return { clock, house, link, server, client };
}

/** What a watcher believes: the latest state per entity. */
function watcherView(client: DeviceClient): Map<string, string> {
  const view = new Map<string, string>();
  void client.watch((s) => view.set(s.entity_id, s.state));
  return view;
}

const truth = (house: DeviceSource): Map<string, string> =>
  new Map(house.list().map((s) => [s.entity_id, s.state]));

test('40 toggles over 20% loss, 30% duplicates and reordering: each runs exactly once', async () => {
  const s = setup({ loss: 0.2, dup: 0.3, maxDelayMs: 80 });
  let flips = 0;
  s.house.subscribe((e) => {
    if (e.entity_id === 'light.kitchen') flips++;
  });
  const start = s.house.get('light.kitchen')!.state;
  for (let i = 0; i < 40; i++) {
    await settle(s.clock, s.client.call('light.kitchen', { service: 'toggle' }));
  }
  assert.equal(flips, 40);
  assert.equal(s.server.stats.requests, 40);
  assert.ok(s.server.stats.duplicates > 0, 'the channel duplicated or the client retransmitted');
  assert.equal(s.house.get('light.kitchen')!.state, start); // an even number of toggles
  assert.ok(s.link.stats.lost > 0 && s.link.stats.duplicated > 0);
});

test('a watcher on a lossy channel ends up with the home’s true state', async () => {
  const s = setup({ loss: 0.3, dup: 0.2, maxDelayMs: 50 }, 11);
  const view = watcherView(s.client);
  await runFor(s.clock, 1000);
  for (let i = 0; i < 30; i++) {
    const id = ['light.kitchen', 'light.bedroom', 'switch.coffee_maker'][i % 3] as string;
    await s.house.execute(id, { service: 'toggle' });
    await runFor(s.clock, 20);
  }
  await s.house.execute('cover.garage_door', { service: 'open' });
  await runFor(s.clock, 10_000); // pushes retried, keepalives catch whatever was lost for good
  for (const [id, state] of truth(s.house)) {
    if (view.has(id)) assert.equal(view.get(id), state, id);
  }
  assert.equal(view.get('cover.garage_door'), 'open');
  assert.equal(view.get('light.kitchen'), s.house.get('light.kitchen')!.state);
});

test('pushes lost for good are caught up by the next keepalive', async () => {
  const s = setup({ loss: 0, dup: 0, maxDelayMs: 1 });
  const view = watcherView(s.client);
  await runFor(s.clock, 100);
  // Every push (first send and all retries) is lost; nothing else changes after.
  s.link.filter = (d, dir) => !(dir === 'ba' && decodeRpc(d)?.t === 'evt');
  await s.house.execute('lock.front_door', { service: 'unlock' });
  await runFor(s.clock, 500);
  assert.equal(view.get('lock.front_door'), undefined);
  await runFor(s.clock, 2500); // one keepalive period (2 s here)
  assert.equal(view.get('lock.front_door'), 'unlocked');
  assert.ok(s.client.stats.resyncs >= 1);
  assert.ok(s.client.rttMs !== undefined);
});

test('a home that gave up pushing to a silent client resumes when the client is back', async () => {
  const s = setup({ loss: 0, dup: 0, maxDelayMs: 1 });
  const view = watcherView(s.client);
  await runFor(s.clock, 100);
  s.link.cut.ab = true; // the client's acks and keepalives vanish
  for (let i = 0; i < 70; i++) await s.house.execute('light.kitchen', { service: 'toggle' });
  await runFor(s.clock, 5000);
  s.link.cut.ab = false;
  await runFor(s.clock, 5000); // keepalive: "not subscribed" -> resubscribe + resync
  await s.house.execute('light.bedroom', { service: 'turn_on' });
  await runFor(s.clock, 100);
  assert.equal(view.get('light.bedroom'), 'on');
  assert.equal(view.get('light.kitchen'), s.house.get('light.kitchen')!.state);
  assert.equal(s.client.missedKeepalives, 0);
  assert.ok(s.client.stats.resyncs >= 1);
});

/** A source with one oversized entity (a long name and many attributes). */
function bloatedSource(clock: FakeClock): DeviceSource {
  const house = new SimulatedHouse(clock);
  const attributes: EntityState['attributes'] = { friendly_name: 'x'.repeat(5000) };
  for (let i = 0; i < 60; i++) attributes[`attr_${i}`] = 'y'.repeat(50);
  const big: EntityState = {
    entity_id: 'sensor.big',
    state: 'z'.repeat(200),
    attributes,
    last_changed: new Date(0).toISOString(),
  };
  return {
    list: () => [...house.list(), big],
    get: (id) => (id === 'sensor.big' ? big : house.get(id)),
    execute: (id, c) => house.execute(id, c),
    subscribe: (cb) => house.subscribe(cb),
    close: () => house.close(),
  };
}

test('oversized entities are trimmed to fit one message, never crash the home', async () => {
  const clock = new FakeClock();
  const s = setup({ loss: 0, dup: 0, maxDelayMs: 1 }, 3, bloatedSource(clock));
  let biggest = 0;
  s.link.filter = (d) => ((biggest = Math.max(biggest, d.length)), true);
  const big = await settle(s.clock, s.client.get('sensor.big'));
  assert.equal(big.entity_id, 'sensor.big');
  const all = await settle(s.clock, s.client.list());
  assert.ok(all.some((e) => e.entity_id === 'sensor.big'));
  assert.ok(all.length >= 10);
  assert.ok(biggest <= MAX_RPC, `largest message ${biggest} bytes`);
  // A bad request whose error would quote a huge id still gets a bounded answer.
  await assert.rejects(settle(s.clock, s.client.get('x'.repeat(800))), /not an entity id/);
});

test('hostile messages to the home are dropped without throwing', () => {
  const clock = new FakeClock();
  const link = lossyPair(clock, new SeqRandom(1), { loss: 0, dup: 0, maxDelayMs: 1 });
  const server = serveDevices(link.home, new SimulatedHouse(clock), clock);
  const rng = new SeqRandom(99);
  const junk = [
    '{"t":"ping","n":-1}',
    '{"t":"pong","n":1,"seq":-2,"sub":true}',
    '{"t":"ack","seq":"x"}',
    '{"t":"req","id":1,"m":"list","p":[]}',
    '{"t":"req","id":1.5,"m":"list","p":{}}',
    '[]',
    'null',
  ].map((t) => Buffer.from(t));
  for (let i = 0; i < 3000; i++) junk.push(Buffer.from(rng.bytes(rng.int(400))));
  assert.doesNotThrow(() => {
    for (const j of junk) link.client.send(j);
    clock.advance(100);
  });
  assert.ok(server.stats.dropped >= 3000);
  assert.equal(decodeRpc(encodeRpc({ t: 'pong', n: 1, seq: -1, sub: false }))?.t, 'pong');
});

test('a flood of requests is rate-limited; the client gets through once it calms down', async () => {
  const s = setup({ loss: 0, dup: 0, maxDelayMs: 1 });
  for (let id = 0; id < 300; id++)
    s.link.client.send(encodeRpc({ t: 'req', id, m: 'get', p: { entity_id: 'light.kitchen' } }));
  await runFor(s.clock, 50);
  assert.ok(s.server.stats.limited >= 150, `limited ${s.server.stats.limited}`);
  assert.ok(s.server.stats.requests <= 110);
  const st = await settle(s.clock, s.client.call('light.kitchen', { service: 'toggle' }));
  assert.equal(st.state, 'on');
});
