import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RendezvousServer } from '../../src/rendezvous/server.js';
import { ErrorCode } from '../../src/wire/messages.js';
import { fakeEnv } from '../support/fakes.js';

const HOME = { ip: '198.51.100.10', port: 5000 };
const CLIENT = { ip: '203.0.113.20', port: 6000 };
const S = 'aaaaaaaaaaaaaaaa';

function setup() {
  const f = fakeEnv('192.0.2.1');
  const rv = new RendezvousServer(f.env, { listen: { port: 7400 } });
  rv.start();
  const ep = f.net.endpoints[0]!;
  return { ...f, rv, ep };
}

function registerHome(s: ReturnType<typeof setup>) {
  s.ep.deliver({ type: 'register', tx: 1, homeId: 'h', locals: [], auth: new Uint8Array(0) }, HOME);
  s.net.clear();
}

test('registration is acknowledged with the observed address; keepalive refreshes; expiry forgets', () => {
  const s = setup();
  s.ep.deliver(
    { type: 'register', tx: 77, homeId: 'h', locals: [], auth: new Uint8Array(0) },
    HOME,
  );
  const [reg] = s.net.of('registered');
  assert.deepEqual(reg?.msg, { type: 'registered', tx: 77, observed: HOME, ttlMs: 90000 });
  s.clock.advance(60_000);
  s.ep.deliver({ type: 'keepalive', tx: 2, homeId: 'h' }, HOME);
  assert.equal(s.net.of('keepaliveAck').length, 1);
  s.clock.advance(60_000); // 120 s after register, 60 s after keepalive: still alive
  s.ep.deliver({ type: 'addrQuery', tx: 3, homeId: 'h' }, CLIENT);
  assert.deepEqual(s.net.of('addrReply')[0]?.msg.home, HOME);
  s.clock.advance(31_000); // past the TTL since the keepalive
  s.ep.deliver({ type: 'keepalive', tx: 4, homeId: 'h' }, HOME);
  assert.equal(s.net.of('error').at(-1)?.msg.code, ErrorCode.UnknownHome);
});

test('keepalive from a different address is refused so the home re-registers', () => {
  const s = setup();
  registerHome(s);
  s.ep.deliver({ type: 'keepalive', tx: 5, homeId: 'h' }, { ip: HOME.ip, port: 5001 });
  assert.equal(s.net.of('error')[0]?.msg.code, ErrorCode.UnknownHome);
});

test('assist: ack to the client, PeerInfo to the home until SprayDone, then Ready', () => {
  const s = setup();
  registerHome(s);
  s.ep.deliver(
    { type: 'assist', mode: 'patent', tx: 9, homeId: 'h', session: S, auth: new Uint8Array(0) },
    CLIENT,
  );
  const ack = s.net.of('assistAck')[0];
  assert.deepEqual(ack?.to, CLIENT);
  assert.deepEqual(ack?.msg.observed, CLIENT);
  const peer = s.net.of('peerInfo');
  assert.equal(peer.length, 1);
  assert.deepEqual(peer[0]?.to, HOME);
  assert.deepEqual(peer[0]?.msg.client, CLIENT);
  // PeerInfo lost: retransmitted, bounded.
  s.clock.advance(10_000);
  const sends = s.net.of('peerInfo').length;
  assert.equal(sends, 5);
  s.ep.deliver({ type: 'sprayDone', tx: 50, session: S, sprayed: 501 }, HOME);
  assert.equal(s.net.of('sprayDoneAck').length, 1);
  const ready = s.net.of('ready');
  assert.equal(ready.length, 1);
  assert.deepEqual(ready[0]?.to, CLIENT);
  assert.deepEqual(ready[0]?.msg.home, HOME);
  // Duplicate SprayDone: acked again, no second Ready.
  s.ep.deliver({ type: 'sprayDone', tx: 50, session: S, sprayed: 501 }, HOME);
  assert.equal(s.net.of('sprayDoneAck').length, 2);
  assert.equal(s.net.of('ready').length, 1);
});

test('a duplicated assist is re-acked and never makes the home spray twice', () => {
  const s = setup();
  registerHome(s);
  const assist = {
    type: 'assist' as const,
    mode: 'patent' as const,
    tx: 9,
    homeId: 'h',
    session: S,
    auth: new Uint8Array(0),
  };
  s.ep.deliver(assist, CLIENT);
  s.ep.deliver(assist, CLIENT);
  assert.equal(s.net.of('assistAck').length, 2);
  assert.equal(s.net.of('peerInfo').length, 1);
  s.ep.deliver({ type: 'sprayDone', tx: 1, session: S, sprayed: 1 }, HOME);
  s.ep.deliver(assist, CLIENT); // Ready was lost: the retransmitted assist brings it again
  assert.equal(s.net.of('ready').length, 2);
  // Same session id from another address: dropped.
  s.ep.deliver(assist, { ip: '203.0.113.99', port: 1 });
  assert.equal(s.net.of('assistAck').length, 3);
  assert.equal(s.rv.stats.dropped['assist-session-clash'], 1);
});

test('unknown home, spoofed SprayDone, and stray messages are refused or dropped and counted', () => {
  const s = setup();
  s.ep.deliver(
    {
      type: 'assist',
      mode: 'patent',
      tx: 9,
      homeId: 'nobody',
      session: S,
      auth: new Uint8Array(0),
    },
    CLIENT,
  );
  assert.equal(s.net.of('error')[0]?.msg.code, ErrorCode.UnknownHome);
  registerHome(s);
  s.ep.deliver(
    { type: 'assist', mode: 'patent', tx: 9, homeId: 'h', session: S, auth: new Uint8Array(0) },
    CLIENT,
  );
  s.ep.deliver({ type: 'sprayDone', tx: 1, session: S, sprayed: 1 }, CLIENT); // not from the home
  assert.equal(s.net.of('ready').length, 0);
  s.ep.deliver({ type: 'punch', session: S }, CLIENT);
  s.ep.deliver(new Uint8Array([1, 2, 3]), CLIENT);
  const d = s.rv.stats.dropped;
  assert.equal(d['spraydone-unknown'], 1);
  assert.equal(d['unexpected-punch'], 1);
  assert.equal(d['malformed'], 1);
});

test('session table is bounded and answers Busy when full', () => {
  const f = fakeEnv('192.0.2.1');
  const rv = new RendezvousServer(f.env, { listen: { port: 7400 }, maxSessions: 2 });
  rv.start();
  const ep = f.net.endpoints[0]!;
  ep.deliver({ type: 'register', tx: 1, homeId: 'h', locals: [], auth: new Uint8Array(0) }, HOME);
  for (const sess of ['0000000000000001', '0000000000000002', '0000000000000003']) {
    ep.deliver(
      {
        type: 'assist',
        mode: 'patent',
        tx: 2,
        homeId: 'h',
        session: sess,
        auth: new Uint8Array(0),
      },
      CLIENT,
    );
  }
  assert.equal(f.net.of('error')[0]?.msg.code, ErrorCode.Busy);
  f.clock.advance(40_000); // sessions expire and are swept
  assert.equal(rv.stats.sessions, 0);
});

test('hop probes are echoed statelessly, same size', () => {
  const s = setup();
  s.ep.deliver({ type: 'hopProbe', tx: 5, ttl: 7 }, HOME);
  assert.deepEqual(s.net.of('hopReply')[0]?.msg, { type: 'hopReply', tx: 5, ttl: 7 });
});

test('LAN addresses are offered only to a client behind the same public IP', () => {
  const s = setup();
  const lan = [{ ip: '192.168.1.20', port: 7401 }];
  s.ep.deliver(
    { type: 'register', tx: 1, homeId: 'h', locals: lan, auth: new Uint8Array(0) },
    HOME,
  );
  const neighbour = { ip: HOME.ip, port: 6001 };
  for (const [client, session] of [
    [CLIENT, '1111111111111111'],
    [neighbour, '2222222222222222'],
  ] as const) {
    s.ep.deliver(
      { type: 'assist', mode: 'patent', tx: 2, homeId: 'h', session, auth: new Uint8Array(0) },
      client,
    );
    s.ep.deliver({ type: 'sprayDone', tx: 3, session, sprayed: 1 }, HOME);
  }
  const readies = s.net.of('ready');
  assert.deepEqual(readies[0]?.msg.locals, []);
  assert.deepEqual(readies[1]?.msg.locals, lan);
});

test('no amplification: an answer never has more bytes than its request', () => {
  const s = setup();
  registerHome(s);
  // Unpadded: the 92-byte answer to a 14-byte query is not sent; the error text shrinks to fit.
  s.ep.deliver({ type: 'addrQuery', tx: 1, homeId: 'h' }, CLIENT, 0);
  assert.equal(s.net.of('addrReply').length, 0);
  assert.equal(s.rv.stats.dropped['reply-larger-than-request'], 1);
  s.ep.deliver(
    {
      type: 'assist',
      mode: 'patent',
      tx: 2,
      homeId: 'nobody',
      session: S,
      auth: new Uint8Array(0),
    },
    CLIENT,
    0,
  );
  const err = s.net.of('error')[0];
  assert.ok(err && err.msg.message.length < 'home nobody is not registered'.length);
  s.ep.deliver({ type: 'observe', tx: 3 }, CLIENT, 0);
  assert.equal(s.net.of('observed').length, 0);
  s.ep.deliver({ type: 'observe', tx: 3 }, CLIENT);
  assert.deepEqual(s.net.of('observed')[0]?.msg.addr, CLIENT);
});

test('a flood from one IP is rate limited', () => {
  const s = setup();
  for (let i = 0; i < 1000; i++) s.ep.deliver({ type: 'observe', tx: i }, CLIENT);
  assert.ok(s.net.of('observed').length <= 400);
  assert.ok((s.rv.stats.dropped['rate-limited-ip'] ?? 0) >= 600);
});

test('assists per home are rate limited (each one makes the home spray)', () => {
  const s = setup();
  registerHome(s);
  for (let i = 0; i < 50; i++) {
    const session = i.toString(16).padStart(16, '0');
    s.ep.deliver(
      { type: 'assist', mode: 'patent', tx: i, homeId: 'h', session, auth: new Uint8Array(0) },
      { ip: `203.0.113.${i}`, port: 1 },
    );
  }
  assert.equal(s.net.of('peerInfo').length, 20);
  assert.equal(s.net.of('error').filter((e) => e.msg.code === ErrorCode.RateLimited).length, 30);
});

test('the home refusing an assist reaches the client as an error answering its assist', () => {
  const s = setup();
  registerHome(s);
  s.ep.deliver(
    { type: 'assist', mode: 'patent', tx: 42, homeId: 'h', session: S, auth: new Uint8Array(0) },
    CLIENT,
  );
  s.ep.deliver(
    {
      type: 'refuse',
      tx: 1,
      session: S,
      code: ErrorCode.Unauthorized,
      message: 'client is not paired',
    },
    HOME,
  );
  const err = s.net.of('error')[0];
  assert.deepEqual(err?.to, CLIENT);
  assert.equal(err?.msg.tx, 42);
  assert.equal(err?.msg.message, 'client is not paired');
  s.clock.advance(5000);
  assert.equal(s.net.of('peerInfo').length, 1, 'no more PeerInfo after a refusal');
});
