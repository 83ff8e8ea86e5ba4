import assert from 'node:assert/strict';
import { test } from 'node:test';
import { relayWorld } from './world.js';

test('byte cap: the client over it is cut off with the reason at both ends; another continues', () => {
  const x = relayWorld({ maxSessionBytes: 16 * 1024 });
  const a = x.connect(x.client());
  const b = x.connect(x.client());
  assert.ok(a.channel?.ready && b.channel?.ready);
  const closedAt: string[] = [];
  a.path?.onClose((r) => closedAt.push(r));
  for (let i = 0; i < 20 && !a.path?.closed; i++) {
    a.channel.send(new Uint8Array(1000).fill(65));
    x.run(100);
  }
  assert.equal(a.path?.error?.kind, 'relay-byte-cap');
  assert.match(closedAt[0] ?? '', /byte allowance/);
  assert.equal(x.core.stats.closes['byte-cap'], 1);
  assert.equal(x.homeRelay.sessions, 1, "the home's side of the capped session is gone too");
  b.channel.send(Buffer.from('still here'));
  x.run(1000, () => b.got.length > 0);
  assert.deepEqual(b.got, ['still here']);
});

test('session-count caps: per client IP, per home, global — refused with relay-busy', () => {
  const x = relayWorld({ maxSessions: 1 });
  assert.ok(x.connect(x.client()).channel?.ready);
  const second = x.connect(x.client());
  assert.equal(second.opened?.ok === false && second.opened.error.kind, 'relay-busy');
  assert.equal(x.core.stats.drops['cap-global'], 1);

  const y = relayWorld({ maxSessionsPerHome: 1 });
  assert.ok(y.connect(y.client()).channel?.ready);
  const third = y.connect(y.client());
  assert.equal(third.opened?.ok === false && third.opened.error.kind, 'relay-busy');
  assert.equal(y.core.stats.drops['cap-per-home'], 1);

  const z = relayWorld({ maxSessionsPerIp: 1 });
  const c = z.client();
  assert.ok(z.connect(c).channel?.ready);
  const again = z.connect(c); // same host, same public IP
  assert.equal(again.opened?.ok === false && again.opened.error.kind, 'relay-busy');
  assert.equal(z.core.stats.drops['cap-per-ip'], 1);
});

test('duration and idle caps close sessions with their reasons', () => {
  const x = relayWorld({ maxSessionMs: 60_000, idleMs: 1_000_000 });
  const a = x.connect(x.client());
  x.run(61_000, () => a.path?.closed === true);
  assert.equal(a.path?.error?.kind, 'relay-duration-cap');

  const y = relayWorld({ idleMs: 10_000 });
  let opened: ReturnType<typeof y.connect> | undefined = y.connect(y.client());
  assert.ok(opened.channel?.ready);
  // Keepalives (every 25 s by default) are slower than the idle limit here.
  y.run(12_000, () => opened?.path?.closed === true);
  assert.equal(opened.path?.error?.kind, 'relay-idle');
  opened = undefined;
});

test('a home that never answers: the client learns relay-home-unreachable', () => {
  const x = relayWorld();
  x.registry.set(x.homeState.homeId, { ip: '203.0.113.250', port: 9 });
  const c = x.connect(x.client());
  assert.equal(c.opened?.ok === false && c.opened.error.kind, 'relay-home-unreachable');
  assert.equal(x.core.stats.closes['home-unreachable'], 1);
});

test('new sessions are rate-limited per client IP (each one costs the home a signature check)', () => {
  const x = relayWorld({ opensPerIp: { ratePerSec: 0.1, burst: 3, maxKeys: 100 } });
  const c = x.client();
  const kinds = Array.from({ length: 4 }, () => {
    const r = x.connect(c);
    return r.opened?.ok ? 'ok' : r.opened?.error.kind;
  });
  assert.deepEqual(kinds, ['ok', 'ok', 'ok', 'relay-busy']);
  assert.equal(x.core.stats.drops['cap-rate-ip'], 1);
});
