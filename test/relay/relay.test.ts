import assert from 'node:assert/strict';
import { test } from 'node:test';
import { relayWorld } from './world.js';

test('symmetric × symmetric: a Noise channel over the relayed path carries device traffic', () => {
  const x = relayWorld();
  const c = x.connect(x.client());
  assert.ok(c.opened?.ok, 'relayed path opened');
  assert.equal(c.path?.kind, 'relayed');
  assert.equal(c.path?.remote, 'relay udp 198.51.100.1:7400');
  assert.ok(c.channel?.ready, 'Noise handshake completed over the relay');
  c.channel.send(Buffer.from('light.toggle'));
  x.run(1000, () => c.got.length > 0);
  assert.deepEqual(c.got, ['light.toggle']);
  assert.deepEqual(x.appFrames, ['light.toggle']);
  const st = x.core.stats;
  assert.equal(st.sessions, 1);
  assert.equal(st.accepted, 1);
  assert.ok(st.bytesToHome > 0 && st.bytesToClient > 0);
  c.path.close();
  x.run(500);
  assert.equal(x.core.stats.sessions, 0);
  assert.equal(x.core.stats.closes['peer-closed'], 1);
  assert.equal(x.homeRelay.sessions, 0);
});

test('an unpaired client is refused by the home: clear error, nothing reaches the device layer', () => {
  const x = relayWorld();
  const c = x.connect(x.client(false));
  assert.equal(c.opened?.ok, false);
  assert.equal(c.opened?.ok === false && c.opened.error.kind, 'relay-refused');
  assert.match(c.opened?.ok === false ? c.opened.error.message : '', /not paired/);
  assert.equal(x.homeRelay.stats.refused, 1);
  assert.equal(x.homeRelay.sessions, 0);
  assert.deepEqual(x.appFrames, []);
  assert.equal(x.homeRelayData.count, 0);
  assert.equal(x.core.stats.closes['refused'], 1);
});

test('an unknown home is answered at once with a typed error', () => {
  const x = relayWorld();
  x.registry.clear();
  const c = x.connect(x.client());
  assert.equal(c.opened?.ok === false && c.opened.error.kind, 'relay-unknown-home');
  assert.equal(x.core.stats.drops['unknown-home'], 1);
});

test('early handshake: Noise message 1 rides in the open; the channel is ready in one relayed round trip', () => {
  const plain = relayWorld();
  const a = plain.connect(plain.client());
  const early = relayWorld();
  const b = early.connect(early.client(), undefined, true);
  assert.ok(a.channel?.ready && b.channel?.ready);
  // Virtual time: client ⇄ relay and relay ⇄ home are 20 ms round trips each.
  assert.ok(b.readyMs <= a.readyMs - 38, `early ${b.readyMs} ms vs ${a.readyMs} ms`);
  b.channel.send(Buffer.from('x'));
  early.run(1000, () => b.got.length > 0);
  assert.deepEqual(b.got, ['x']);
});

test('time to the first device answer over the relay: two relayed round trips (virtual time)', () => {
  // client ⇄ relay and relay ⇄ home are 20 ms round trips each (world.ts): one relayed round trip
  // (40 ms) opens the session with the handshake inside, a second carries the request and answer.
  const x = relayWorld();
  const t0 = x.w.clock.now();
  const c = x.connect(x.client(), undefined, true);
  c.channel?.send(Buffer.from('light.kitchen?'));
  x.run(1000, () => c.got.length > 0);
  const ms = x.w.clock.now() - t0;
  const needed = 2 * 40;
  console.log(
    `# relayed first answer: ${ms} ms; the round trips it needs: ${needed} ms (${(ms / needed).toFixed(2)}×)`,
  );
  assert.deepEqual(c.got, ['light.kitchen?']);
  assert.ok(ms <= 1.5 * needed, `${ms} ms`);
});
