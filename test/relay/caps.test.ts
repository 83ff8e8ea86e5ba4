import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, encode, REQUEST_PAD, type Message } from '../../src/wire/messages.js';
import { RelayCloseCode } from '../../src/wire/relay-messages.js';
import { RELAY, relayWorld } from './world.js';

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

test('session-count caps: per (home, key), per home, global — refused with relay-busy', () => {
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

  const z = relayWorld({ maxSessionsPerKey: 2 });
  const c = z.client();
  assert.ok(z.connect(c).channel?.ready);
  assert.ok(z.connect(c).channel?.ready);
  const again = z.connect(c); // the same key to the same home, a third time
  assert.equal(again.opened?.ok === false && again.opened.error.kind, 'relay-busy');
  assert.equal(z.core.stats.drops['cap-per-key'], 1);
  // (once seen failing in a full run and never in 40 runs alone: say why if it does again)
  const other = z.connect(z.client());
  assert.ok(
    other.channel?.ready,
    `another key to the same home still gets in (opened: ${other.opened?.ok === false ? `${other.opened.error.kind}: ${other.opened.error.message}` : String(other.opened?.ok)}; drops ${JSON.stringify(z.core.stats.drops)})`,
  );
});

test('many phones behind one carrier IP: accepted sessions never count against the IP', () => {
  // Opens per IP per second stay limited (each costs the home a signature check): a burst of 20.
  const x = relayWorld({
    maxPendingPerIp: 2,
    opensPerIp: { ratePerSec: 2, burst: 20, maxKeys: 9 },
  });
  const carrier = x.client().host;
  const phones = Array.from({ length: 12 }, () => ({ state: x.client().state, host: carrier }));
  const ready = phones.map((p) => x.connect(p).channel?.ready === true);
  assert.deepEqual(ready, new Array<boolean>(12).fill(true), 'all 12 (the old cap was 8 per IP)');
  assert.equal(x.core.stats.sessions, 12);
});

test('pending sessions per IP: offers the home has not answered count against the client IP', () => {
  const x = relayWorld({ maxPendingPerIp: 2 });
  x.registry.set(x.homeState.homeId, { ip: '203.0.113.250', port: 9 }); // never answers
  const ep = x.client().host.open();
  const answers: Message[] = [];
  ep.onDatagram((d) => {
    const r = decode(d);
    if (r.ok) answers.push(r.msg);
  });
  for (let i = 0; i < 3; i++) {
    const open: Message = {
      type: 'relayOpen',
      tx: i,
      homeId: x.homeState.homeId,
      session: `00000000000000a${i}`,
      auth: new Uint8Array(113).fill(i + 1),
      early: new Uint8Array(0),
    };
    ep.send(encode(open, REQUEST_PAD), RELAY);
  }
  x.run(200);
  assert.equal(x.core.stats.drops['cap-pending-per-ip'], 1);
  assert.equal(answers.length, 1);
  assert.equal(answers[0]?.type === 'relayClosed' && answers[0].code, RelayCloseCode.Busy);
  assert.equal(x.core.stats.sessions, 2);
});

test('per-home rate budget: frames over it are dropped and counted, the session lives on', () => {
  const seen = { dropped: 0 };
  const x = relayWorld({
    homeBytesPerSec: 5_000,
    homeBurstBytes: 20_000,
    metrics: { relayed: () => {}, sessions: () => {}, budgetDropped: (n) => (seen.dropped += n) },
  });
  const a = x.connect(x.client());
  assert.ok(a.channel?.ready);
  for (let i = 0; i < 40; i++) a.channel.send(new Uint8Array(1000).fill(66));
  x.run(300);
  const stats = x.core.stats;
  assert.ok(stats.budgetDroppedBytes > 10_000, JSON.stringify(stats));
  assert.equal(seen.dropped, stats.budgetDroppedBytes, 'the metric counts the same bytes');
  assert.ok((stats.drops['home-budget'] ?? 0) > 10);
  assert.ok(stats.bytesToHome + stats.bytesToClient <= 20_000 + 5_000, 'burst + rate, no more');
  assert.equal(a.path?.closed, false, 'over budget is never a close');
  x.run(10_000); // the bucket refills
  a.got.length = 0;
  a.channel.send(Buffer.from('after the pause'));
  x.run(1000, () => a.got.length > 0);
  assert.deepEqual(a.got, ['after the pause']);
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
