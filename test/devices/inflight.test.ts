// A command in flight when its path dies (issue 21 item 6), at the device-RPC layer on a fake
// clock: the home remembers (client key, run, id) across channels, so a request re-sent over a
// second channel is answered from memory, never applied twice; a request whose window passed is
// asked about ("fate") and the home answers applied (the result) or not applied — and then never
// applies it. The memory is bounded per client and in all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestMemory } from '../../src/devices/request-memory.js';
import { DeviceClient, RequestError } from '../../src/devices/rpc-client.js';
import { serveDevices } from '../../src/devices/rpc-server.js';
import { decodeRpc, encodeRpc } from '../../src/devices/rpc-wire.js';
import { SimulatedHouse } from '../../src/devices/simulated.js';
import { FakeClock, SeqRandom } from '../support/fakes.js';
import { lossyPair, runFor, settle } from './lossy-pair.js';

const CLEAN = { loss: 0, dup: 0, maxDelayMs: 1 };

/** A home (one house, one memory) that can serve any number of channels for client `key`. */
function home(clock: FakeClock) {
  const house = new SimulatedHouse(clock);
  const memory = new RequestMemory();
  let applied = 0;
  house.subscribe((s) => {
    if (s.entity_id === 'light.kitchen') applied++;
  });
  const servers: ReturnType<typeof serveDevices>[] = [];
  const channel = (key = 'client-a') => {
    const link = lossyPair(clock, new SeqRandom(servers.length + 3), CLEAN);
    servers.push(serveDevices(link.home, house, clock, { memory, client: key }));
    return link;
  };
  return { house, memory, servers, channel, applied: () => applied };
}

test('a request re-sent on a second channel is answered from memory, not applied again', async () => {
  const clock = new FakeClock();
  const h = home(clock);
  const first = h.channel();
  const dc = new DeviceClient(first.client, clock, new SeqRandom(1), {
    timeoutMs: 5000,
    resolveMs: 15_000,
  });
  // The request reaches the home (applied), every answer is lost, then the path dies.
  first.cut.ba = true;
  const call = dc.call('light.kitchen', { service: 'toggle' });
  await runFor(clock, 100);
  first.cut.ab = true;
  assert.equal(h.applied(), 1);
  await runFor(clock, 1000);
  // A second channel (a reconnect: a new Noise session): in flight goes again, same run and id.
  const second = h.channel();
  dc.attach(second.client);
  const st = await settle(clock, call);
  assert.equal(st.state, 'on');
  assert.equal(h.applied(), 1, 'applied once');
  assert.equal(h.servers[0]!.stats.requests, 1);
  assert.equal(h.servers[1]!.stats.requests, 0, 'the second channel applied nothing');
  assert.ok(h.servers[1]!.stats.duplicates >= 1, 'answered from memory');
  dc.close();
});

test('a duplicate from another client key, or without a run, is a new request', async () => {
  const clock = new FakeClock();
  const h = home(clock);
  const a = h.channel('client-a');
  const b = h.channel('client-b');
  const req = encodeRpc({
    t: 'req',
    id: 7,
    m: 'get',
    p: { entity_id: 'light.kitchen' },
    k: '0123456789abcdef',
  });
  a.client.send(req);
  b.client.send(req);
  await runFor(clock, 20);
  assert.equal(h.servers[0]!.stats.requests, 1);
  assert.equal(h.servers[1]!.stats.requests, 1, 'another key: another request');
  // An old client (no run): duplicates are suppressed per channel, as before.
  const old = encodeRpc({ t: 'req', id: 7, m: 'get', p: { entity_id: 'light.kitchen' } });
  a.client.send(old);
  a.client.send(old);
  await runFor(clock, 20);
  assert.equal(h.servers[0]!.stats.requests, 2);
});

test('fate: a request that never reached the home is reported not applied, and never applied later', async () => {
  const clock = new FakeClock();
  const h = home(clock);
  const first = h.channel();
  // Nothing reaches the home (the first copy is kept, to arrive late below).
  let firstCopy: Uint8Array | undefined;
  first.filter = (d, dir) => {
    if (dir === 'ab' && !firstCopy) firstCopy = Uint8Array.from(d);
    return dir !== 'ab';
  };
  const dc = new DeviceClient(first.client, clock, new SeqRandom(1), {
    timeoutMs: 2000,
    resolveMs: 6000,
  });
  const call = dc.call('light.kitchen', { service: 'toggle' });
  await runFor(clock, 2500); // the window to apply it is over: the client now asks its fate
  const second = h.channel();
  dc.attach(second.client);
  await assert.rejects(
    settle(clock, call),
    (e) => e instanceof RequestError && e.notApplied && /not applied/.test(e.message),
  );
  assert.equal(h.applied(), 0);
  // The original, arriving late (say it sat in a queue): refused from memory, not applied.
  const answers: string[] = [];
  second.client.onMessage((d) => {
    const m = decodeRpc(d);
    if (m?.t === 'res' && !m.ok) answers.push(m.e);
  });
  second.client.send(firstCopy!);
  await runFor(clock, 20);
  assert.equal(h.applied(), 0, 'never applied after the home said not applied');
  assert.match(answers[0] ?? '', /not applied/);
  dc.close();
});

test('fate: an applied request whose answers were all lost resolves to its result', async () => {
  const clock = new FakeClock();
  const h = home(clock);
  const first = h.channel();
  first.cut.ba = true;
  const dc = new DeviceClient(first.client, clock, new SeqRandom(1), {
    timeoutMs: 1000,
    resolveMs: 6000,
  });
  const call = dc.call('light.kitchen', { service: 'turn_on' });
  await runFor(clock, 1500);
  first.cut.ba = false; // answers flow again: the fate query gets the original answer
  const st = await settle(clock, call);
  assert.equal(st.state, 'on');
  assert.equal(h.applied(), 1);
  dc.close();
});

test('a home that cannot be asked in time: "not confirmed", never a bare timeout', async () => {
  const clock = new FakeClock();
  const h = home(clock);
  const first = h.channel();
  first.cut.ab = true;
  const dc = new DeviceClient(first.client, clock, new SeqRandom(1), {
    timeoutMs: 1000,
    resolveMs: 3000,
  });
  await assert.rejects(
    settle(clock, dc.call('light.kitchen', { service: 'toggle' })),
    (e) => e instanceof RequestError && e.unconfirmed && /not confirmed/.test(e.message),
  );
  dc.close();
});

test('a request unanswered for ~1 s makes the path suspect; a path change re-sends at once', async () => {
  const clock = new FakeClock();
  const h = home(clock);
  const link = h.channel();
  link.cut.ab = true;
  const dc = new DeviceClient(link.client, clock, new SeqRandom(1), { maxSends: 3 });
  const suspected: number[] = [];
  dc.onSuspect(() => suspected.push(clock.now()));
  const call = dc.call('light.kitchen', { service: 'toggle' });
  await runFor(clock, 1500);
  assert.deepEqual(suspected, [1000]);
  link.cut.ab = false;
  const t0 = clock.now();
  dc.pathChanged(); // its 3 sends were spent: a moved path gives it a fresh budget
  await settle(clock, call);
  assert.ok(clock.now() - t0 <= 20, `answered ${clock.now() - t0} ms after the move`);
  assert.equal(h.applied(), 1);
  dc.close();
});

test('request ids: one random 64-bit run per client, ids counted within it', () => {
  const clock = new FakeClock();
  const seen: Array<{ id: number; k?: string }> = [];
  const ch = {
    send: (d: Uint8Array) => {
      const m = decodeRpc(d);
      if (m?.t === 'req') seen.push({ id: m.id, k: m.k });
    },
    onMessage: () => {},
    close: () => {},
  };
  const a = new DeviceClient(ch, clock, new SeqRandom(1));
  const b = new DeviceClient(ch, clock, new SeqRandom(2));
  void a.get('light.kitchen').catch(() => {});
  void a.get('light.kitchen').catch(() => {});
  void b.get('light.kitchen').catch(() => {});
  assert.match(a.run, /^[0-9a-f]{16}$/);
  assert.notEqual(a.run, b.run);
  assert.deepEqual(
    seen.map((s) => `${s.k === a.run ? 'a' : 'b'}${s.id}`),
    ['a0', 'a1', 'b0'],
  );
  a.close();
  b.close();
});

test('the memory is bounded: per client, in all, and in time; a forgotten request is not re-applied', () => {
  const m = new RequestMemory({ perClient: 4, total: 6, ttlMs: 60_000 });
  const bytes = new Uint8Array(1);
  for (let id = 0; id < 6; id++) m.set('a', 'r', id, { at: id, bytes });
  assert.equal(m.size, 4);
  assert.equal(m.get('a', 'r', 1, 10), 'forgotten', 'pushed out: marked, not unknown');
  assert.notEqual(m.get('a', 'r', 5, 10), undefined);
  assert.equal(m.get('a', 'r', 9, 10), undefined, 'never seen');
  for (let id = 0; id < 3; id++) m.set('b', 'r', id, { at: 10 + id, bytes });
  assert.equal(m.size, 6, 'the total cap pushes out the oldest client entries');
  assert.equal(m.get('a', 'r', 2, 20), 'forgotten');
  assert.notEqual(m.get('b', 'r', 0, 20), undefined);
  // After its time everything is gone (the agent stopped asking long before).
  assert.equal(m.get('b', 'r', 0, 61_000), undefined);
  assert.equal(m.size, 0);
});
