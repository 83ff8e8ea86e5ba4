import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HomeAgent } from '../../src/home/agent.js';
import { DEFAULT_HOP_METER, HopMeter } from '../../src/home/hop-meter.js';
import { ErrorCode, type MessageOf } from '../../src/wire/messages.js';
import { fakeEnv } from '../support/fakes.js';

const RV = { ip: '192.0.2.1', port: 7400 };
const CLIENT = { ip: '203.0.113.20', port: 6000 };
const S = 'bbbbbbbbbbbbbbbb';

/** A PeerInfo from the rendezvous for session S and CLIENT; tests override what they vary. */
function peerInfo(over: Partial<MessageOf<'peerInfo'>> = {}): MessageOf<'peerInfo'> {
  return {
    type: 'peerInfo',
    tx: 1,
    session: S,
    client: CLIENT,
    mode: 'patent',
    auth: new Uint8Array(0),
    ...over,
  };
}

function setup(opts: Partial<ConstructorParameters<typeof HomeAgent>[1]> = {}) {
  const f = fakeEnv('10.0.0.2');
  const home = new HomeAgent(f.env, { id: 'h', rendezvous: RV, listen: { port: 5000 }, ...opts });
  home.start();
  const ep = f.net.endpoints[0]!;
  return { ...f, home, ep };
}

function registered(s: ReturnType<typeof setup>) {
  const reg = s.net.of('register').at(-1)!;
  s.ep.deliver(
    {
      type: 'registered',
      tx: reg.msg.tx,
      observed: { ip: '198.51.100.10', port: 5000 },
      ttlMs: 90000,
    },
    RV,
  );
  s.net.clear();
}

test('registers, retransmitting a lost register, then keeps the mapping alive', () => {
  const s = setup();
  assert.equal(s.net.of('register').length, 1);
  s.clock.advance(600); // lost: retransmitted
  assert.equal(s.net.of('register').length, 2);
  let seen: unknown;
  s.home.onRegistered((a) => (seen = a));
  registered(s);
  assert.deepEqual(seen, { ip: '198.51.100.10', port: 5000 });
  s.clock.advance(20_000);
  assert.equal(s.net.of('keepalive').length, 1);
  assert.equal(s.home.stats.registered, true);
});

test('a registration that gets no answer is retried after a backoff, forever but bounded per round', () => {
  const s = setup();
  s.clock.advance(30_000);
  const rounds = s.net.of('register').length;
  assert.ok(rounds >= 7 && rounds <= 12, `register sends in 30 s: ${rounds}`);
});

test('UnknownHome from the rendezvous makes the home register again', () => {
  const s = setup();
  registered(s);
  s.clock.advance(20_000);
  const ka = s.net.of('keepalive')[0]!;
  s.ep.deliver({ type: 'error', tx: ka.msg.tx, code: ErrorCode.UnknownHome, message: 'x' }, RV);
  assert.equal(s.net.of('register').length, 1);
});

test('PeerInfo: one packet to the observed port, then N distinct other ports, then SprayDone', () => {
  const s = setup({ spray: 500, sprayTtl: 3, respray: 'off' });
  registered(s);
  s.ep.deliver(peerInfo(), RV);
  s.clock.advance(50);
  const punches = s.net.of('punch');
  assert.equal(punches.length, 501);
  assert.deepEqual(punches[0]?.to, CLIENT);
  const ports = new Set(punches.map((p) => p.to.port));
  assert.equal(ports.size, 501);
  assert.ok(punches.every((p) => p.to.ip === CLIENT.ip && p.ttl === 3));
  assert.ok(punches.every((p) => p.to.port >= 1024 && p.to.port <= 65535));
  const done = s.net.of('sprayDone');
  assert.equal(done.length, 1);
  assert.equal(done[0]?.msg.sprayed, 501);
  // SprayDone lost: retransmitted until acked.
  s.clock.advance(400);
  assert.equal(s.net.of('sprayDone').length, 2);
  s.ep.deliver({ type: 'sprayDoneAck', tx: done[0].msg.tx, session: S }, RV);
  s.clock.advance(5000);
  assert.equal(s.net.of('sprayDone').length, 2);
  // Later, the observed port alone gets the packet again, at full TTL (see repunchDelaysMs).
  const repunches = s.net.of('punch').slice(501);
  assert.equal(repunches.length, 2);
  assert.ok(repunches.every((p) => p.to.port === CLIENT.port && p.ttl === undefined));
  // Duplicate PeerInfo after completion: SprayDone again, never a second spray.
  s.ep.deliver(peerInfo(), RV);
  s.clock.advance(50);
  assert.equal(s.net.of('punch').length, 503);
  assert.equal(s.net.of('sprayDone').length, 3);
});

test('PeerInfo from anyone but the rendezvous is ignored', () => {
  const s = setup();
  registered(s);
  s.ep.deliver(peerInfo(), CLIENT);
  s.clock.advance(50);
  assert.equal(s.net.of('punch').length, 0);
  assert.equal(s.home.stats.dropped['unexpected-peerInfo'], 1);
});

test('probes for this home are answered from the listening socket; others are dropped', () => {
  const s = setup();
  s.ep.deliver({ type: 'probe', tx: 99, homeId: 'h', session: S }, CLIENT);
  assert.deepEqual(s.net.of('probeReply')[0]?.msg, { type: 'probeReply', tx: 99, session: S });
  assert.deepEqual(s.net.of('probeReply')[0]?.to, CLIENT);
  s.ep.deliver({ type: 'probe', tx: 99, homeId: 'other', session: S }, CLIENT);
  assert.equal(s.net.of('probeReply').length, 1);
  // Data only from peers that probed.
  const got: Uint8Array[] = [];
  s.home.onData((d) => got.push(d));
  s.ep.deliver({ type: 'data', payload: new Uint8Array([1]) }, CLIENT);
  s.ep.deliver({ type: 'data', payload: new Uint8Array([2]) }, { ip: '203.0.113.66', port: 1 });
  assert.equal(got.length, 1);
});

test('concurrent sprays are capped', () => {
  const s = setup({ maxConcurrentSprays: 1, sprayPaceMs: 5, sprayBatch: 10, spray: 100 });
  registered(s);
  s.ep.deliver(peerInfo(), RV);
  s.ep.deliver(peerInfo({ tx: 2, session: 'cccccccccccccccc' }), RV);
  assert.equal(s.home.stats.dropped['spray-busy'], 1);
});

test("spray TTL 'auto': one less than the measured hop distance to the rendezvous", () => {
  const s = setup({ spray: 10 });
  const reg = s.net.of('register').at(-1)!;
  s.ep.deliver(
    {
      type: 'registered',
      tx: reg.msg.tx,
      observed: { ip: '198.51.100.10', port: 5000 },
      ttlMs: 90000,
    },
    RV,
  );
  const probes = s.net.of('hopProbe');
  assert.deepEqual(
    probes.map((p) => [p.msg.ttl, p.ttl]),
    Array.from({ length: 16 }, (_, i) => [i + 1, i + 1]),
  );
  const tx = probes[0]!.msg.tx;
  for (const ttl of [5, 4, 9]) s.ep.deliver({ type: 'hopReply', tx, ttl }, RV);
  s.ep.deliver({ type: 'hopReply', tx, ttl: 1 }, CLIENT); // not from the rendezvous: ignored
  s.clock.advance(2000);
  assert.equal(s.home.stats.hopDistance, 4);
  s.ep.deliver(peerInfo(), RV);
  s.clock.advance(10);
  assert.ok(s.net.of('punch').every((p) => p.ttl === 3));
});

test("spray TTL 'os' leaves the TTL to the OS and measures nothing", () => {
  const s = setup({ spray: 10, sprayTtl: 'os' });
  registered(s);
  assert.equal(s.net.of('hopProbe').length, 0);
  s.ep.deliver(peerInfo(), RV);
  s.clock.advance(10);
  assert.ok(s.net.of('punch').every((p) => p.ttl === undefined));
});

test('reversed round: the home knocks from many sockets; the one the client finds carries the link', () => {
  const s = setup({ reverseSockets: 20, sprayTtl: 2 });
  registered(s);
  s.ep.deliver(peerInfo({ mode: 'reverse' }), RV);
  s.clock.advance(50);
  const knocks = s.net.of('punch');
  assert.equal(knocks.length, 20);
  assert.equal(new Set(knocks.map((k) => k.from)).size, 20, 'one packet per socket');
  assert.ok(knocks.every((k) => k.ttl === 2 && k.to.port === CLIENT.port));
  assert.equal(s.net.of('sprayDone').length, 1);
  // The client's spray hits socket 7.
  const sock = knocks[7]!.from;
  const clientSeen = { ip: CLIENT.ip, port: CLIENT.port };
  sock.deliver({ type: 'probe', tx: 5, homeId: 'h', session: S }, clientSeen);
  assert.deepEqual(
    s.net.of('probeReply').map((r) => r.from),
    [sock],
  );
  assert.equal(knocks.filter((k) => k.from.closed).length, 19, 'the other sockets close');
  const got: number[] = [];
  s.home.onData((d) => got.push(d[0]!));
  sock.deliver({ type: 'data', payload: new Uint8Array([9]) }, clientSeen);
  assert.deepEqual(got, [9]);
  s.home.sendData(clientSeen, new Uint8Array([1]));
  assert.equal(s.net.of('data').at(-1)?.from, sock);
});

test('re-spray: once the client has knocked, N fresh ports again at full TTL', () => {
  const s = setup({ spray: 100, sprayTtl: 2, respray: 400 });
  registered(s);
  s.ep.deliver(peerInfo(), RV);
  s.clock.advance(50);
  const first = s.net.of('punch');
  assert.equal(first.length, 101);
  assert.ok(first.every((p) => p.ttl === 2));
  s.clock.advance(400);
  const second = s.net
    .of('punch')
    .slice(101)
    .filter((p) => p.to.port !== CLIENT.port);
  assert.equal(second.length, 100);
  assert.ok(
    second.every((p) => p.ttl === undefined),
    'full TTL',
  );
  assert.equal(s.home.stats.sprays, 1);
});

test('hole TTL: one less than the hop distance, between 2 and 4 (a far rendezvous must not push it to the peer)', () => {
  const f = fakeEnv('10.0.0.2');
  const meter = new HopMeter(f.clock, DEFAULT_HOP_METER, () => {});
  const ttlFor = (d: number): number | undefined => {
    meter.measure(RV, 1);
    meter.onReply({ type: 'hopReply', tx: 1, ttl: d });
    f.clock.advance(2000);
    return meter.holeTtl();
  };
  assert.deepEqual([1, 2, 3, 4, 5, 12].map(ttlFor), [2, 2, 2, 3, 4, 4]);
});

test('once the client has reached the home, no re-spray or re-send follows', () => {
  const s = setup({ spray: 100, sprayTtl: 2, respray: 400 });
  registered(s);
  s.ep.deliver(peerInfo(), RV);
  s.clock.advance(50);
  const sprayed = s.net.of('punch').length;
  s.ep.deliver({ type: 'probe', tx: 7, homeId: 'h', session: S }, CLIENT);
  s.clock.advance(5000);
  assert.equal(s.net.of('punch').length, sprayed);
});

test('a probe answered while the spray is still pacing settles the session: the spray ends, no follow-ups', () => {
  const s = setup({ spray: 300, sprayTtl: 2, sprayBatch: 100, sprayPaceMs: 10, respray: 400 });
  registered(s);
  s.ep.deliver(peerInfo(), RV);
  assert.equal(s.net.of('punch').length, 100, 'first batch only');
  s.ep.deliver({ type: 'probe', tx: 7, homeId: 'h', session: S }, CLIENT);
  s.clock.advance(5000);
  assert.equal(s.net.of('punch').length, 301, 'the spray paces out, nothing follows it');
  assert.equal(s.net.of('sprayDone').length >= 1, true);
});

test('close() reaches a reversed round in progress: no socket opens after it', () => {
  const s = setup({ reverseSockets: 300, sprayBatch: 100, sprayPaceMs: 10, sprayTtl: 2 });
  registered(s);
  s.ep.deliver(peerInfo({ mode: 'reverse' }), RV);
  const opened = s.net.endpoints.length;
  assert.equal(opened, 101);
  s.home.close();
  s.clock.advance(1000);
  assert.equal(s.net.endpoints.length, opened);
  assert.ok(s.net.endpoints.every((e) => e.closed));
});

test('a rendezvous older than bound proofs (it says malformed) gets an unbound one; a refusal of that is final', () => {
  const servers: Array<unknown> = [];
  const trust = {
    registrationAuth: (_id: string, server?: unknown) => {
      servers.push(server);
      return new Uint8Array(server ? 2 : 1);
    },
  };
  const s = setup({ trust } as unknown as Partial<ConstructorParameters<typeof HomeAgent>[1]>);
  assert.equal(s.net.of('register').at(-1)!.msg.auth.length, 2, 'bound first');
  const refuse = (message: string): void =>
    s.ep.deliver(
      {
        type: 'error',
        tx: s.net.of('register').at(-1)!.msg.tx,
        code: ErrorCode.Unauthorized,
        message,
      },
      RV,
    );
  refuse('registration refused: malformed registration auth');
  assert.equal(s.net.of('register').length, 2, 'registers again at once');
  assert.equal(s.net.of('register').at(-1)!.msg.auth.length, 1, 'unbound');
  // Refused again: no loop of fall-backs, the backoff as for any refusal.
  refuse('registration refused: malformed registration auth');
  assert.equal(s.net.of('register').length, 2);
  s.clock.advance(30_000);
  const later = s.net.of('register');
  assert.ok(later.length > 2, 'the backoff round registers again');
  assert.equal(later.at(-1)!.msg.auth.length, 1, 'still unbound at that server');
  registered(s);
  assert.equal(s.home.stats.registered, true);
});
