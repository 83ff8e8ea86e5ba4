import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, type ConnectOptions, type ConnectResult } from '../../src/client/connector.js';
import { fakeEnv } from '../support/fakes.js';

const RV = { ip: '192.0.2.1', port: 7400 };
const HOME = { ip: '198.51.100.10', port: 5000 };

function setup(opts: Partial<ConnectOptions> = {}) {
  const f = fakeEnv('10.1.0.2', 7);
  let result: ConnectResult | undefined;
  connect(f.env, { home: 'h', rendezvous: RV, sockets: 20, ...opts }, (r) => (result = r));
  const main = f.net.endpoints[0]!;
  return { ...f, main, result: () => result };
}

function toReady(s: ReturnType<typeof setup>) {
  const assist = s.net.of('assist').at(-1)!;
  s.main.deliver(
    {
      type: 'assistAck',
      tx: assist.msg.tx,
      session: assist.msg.session,
      observed: { ip: '203.0.113.5', port: 1111 },
    },
    RV,
  );
  s.main.deliver(
    { type: 'ready', mode: 'patent', tx: 1, session: assist.msg.session, home: HOME, locals: [] },
    RV,
  );
  return assist.msg.session;
}

test('assisted path: lost assist is retransmitted; Ready triggers probes and M sockets; first answer wins', () => {
  const s = setup();
  assert.equal(s.net.of('assist').length, 1);
  s.clock.advance(350); // assist lost
  assert.equal(s.net.of('assist').length, 2);
  const session = toReady(s);
  s.clock.advance(100);
  const probes = s.net.of('probe');
  assert.ok(probes.every((p) => p.to.ip === HOME.ip && p.to.port === HOME.port));
  assert.equal(s.net.endpoints.length, 21); // main + M
  assert.equal(s.net.of('addrQuery').length, 1);
  // Socket 7 hears the home.
  const winner = s.net.endpoints[7]!;
  winner.deliver({ type: 'probeReply', tx: 1, session }, HOME);
  const r = s.result();
  assert.ok(r?.ok);
  assert.equal(r.report.path, 'punched');
  assert.equal(r.report.socketsOpened, 21);
  assert.equal(r.report.home, '198.51.100.10:5000');
  assert.equal(r.report.attempts, 1);
  assert.equal(r.report.winner, 'extra-socket');
  // Every other socket is closed, the winner stays open.
  assert.equal(s.net.endpoints.filter((e) => !e.closed).length, 1);
  assert.equal(winner.closed, false);
  r.connection.close();
});

test('a reply for an old session or from a duplicated Ready does not confuse the connector', () => {
  const s = setup();
  const session = toReady(s);
  s.main.deliver({ type: 'ready', mode: 'patent', tx: 1, session, home: HOME, locals: [] }, RV); // duplicate
  assert.equal(s.net.endpoints.length, 21);
  s.net.endpoints[3]!.deliver({ type: 'probeReply', tx: 1, session: 'ffffffffffffffff' }, HOME);
  assert.equal(s.result(), undefined);
  s.main.deliver({ type: 'probeReply', tx: 1, session }, HOME);
  assert.equal(s.result()?.ok, true);
  assert.equal(s.result()?.report.winner, 'first-socket');
});

test('no answer: a new round with a new session, then a clear failure after the bound', () => {
  const s = setup({ rounds: 2, punchTimeoutMs: 500 });
  const first = toReady(s);
  s.clock.advance(600);
  const assists = s.net.of('assist');
  assert.equal(assists.length, 2);
  assert.notEqual(assists[1]!.msg.session, first);
  // Round 1's sockets were closed before round 2 opened new ones.
  assert.equal(
    s.net.endpoints.slice(1, 21).every((e) => e.closed),
    true,
  );
  toReady(s);
  s.clock.advance(600);
  const r = s.result();
  assert.equal(r?.ok, false);
  assert.equal(r && !r.ok ? r.kind : '', 'no-path');
  assert.match(r && !r.ok ? r.error : '', /after 2 assisted rounds/);
  assert.equal(r?.report.attempts, 2);
  assert.equal(
    s.net.endpoints.every((e) => e.closed),
    true,
  );
});

test('Ready that never comes: the round times out and retries', () => {
  const s = setup({ rounds: 3, readyTimeoutMs: 1000 });
  const assist = s.net.of('assist')[0]!;
  s.main.deliver(
    { type: 'assistAck', tx: assist.msg.tx, session: assist.msg.session, observed: RV },
    RV,
  );
  s.clock.advance(1100);
  assert.equal(s.net.of('assist').length, 2);
});

test('a spray packet reaching a client socket is answered from that socket', () => {
  const s = setup();
  const session = toReady(s);
  const sock = s.net.endpoints[5]!;
  const homeAlt = { ip: HOME.ip, port: 31337 };
  sock.deliver({ type: 'punch', session }, homeAlt);
  sock.deliver({ type: 'punch', session }, homeAlt);
  const answered = s.net.of('probe').filter((p) => p.from === sock && p.to.port === 31337);
  assert.equal(answered.length, 1);
  sock.deliver({ type: 'probeReply', tx: 0, session }, homeAlt);
  assert.equal(s.result()?.report.home, `${HOME.ip}:31337`);
});

test('direct step first when an address is known; falls through to the rendezvous on silence', () => {
  const s = setup({ direct: HOME, directTimeoutMs: 300 });
  s.clock.advance(250);
  assert.equal(s.net.of('probe').length, 3);
  assert.equal(s.net.of('assist').length, 0);
  s.clock.advance(100);
  assert.equal(s.net.of('assist').length, 1);
});

test('unknown home and rendezvous silence fail with clear errors', () => {
  const a = setup();
  const assist = a.net.of('assist')[0]!;
  a.main.deliver({ type: 'error', tx: assist.msg.tx, code: 1, message: 'no' }, RV);
  const ra = a.result();
  assert.equal(ra && !ra.ok ? ra.kind : '', 'unknown-home');
  const b = setup();
  b.clock.advance(10_000);
  const rb = b.result();
  assert.equal(rb && !rb.ok ? rb.kind : '', 'no-rendezvous');
  // The text is derived from the kind and names the rendezvous.
  assert.match(rb && !rb.ok ? rb.error : '', /did not answer/);
});

test('LAN addresses in Ready are knocked on too', () => {
  const s = setup();
  const assist = s.net.of('assist')[0]!;
  const lan = { ip: '192.168.1.20', port: 7401 };
  s.main.deliver(
    {
      type: 'ready',
      mode: 'patent',
      tx: 1,
      session: assist.msg.session,
      home: HOME,
      locals: [lan],
    },
    RV,
  );
  assert.equal(s.net.of('probe').filter((p) => p.from === s.main && p.to.ip === lan.ip).length, 1);
  s.main.deliver({ type: 'probeReply', tx: 1, session: assist.msg.session }, lan);
  assert.equal(s.result()?.report.home, '192.168.1.20:7401');
});

test('a busy rendezvous is retried without spending rounds, a bounded number of times', () => {
  const s = setup({ rounds: 1 });
  for (let i = 0; i < 6; i++) {
    const assist = s.net.of('assist').at(-1)!;
    s.main.deliver({ type: 'error', tx: assist.msg.tx, code: 3, message: 'slow down' }, RV);
    s.clock.advance(1100);
  }
  assert.equal(s.net.of('assist').length >= 6, true);
  const r = s.result();
  assert.equal(r?.ok, false);
  assert.equal(r && !r.ok ? r.kind : '', 'rate-limited');
  assert.match(r && !r.ok ? r.error : '', /busy: slow down/);
});

test('every second round is reversed: the client sprays ports of the home IP from its first socket', () => {
  const s = setup({ rounds: 2, punchTimeoutMs: 500, reverseSpray: 100 });
  assert.equal(s.net.of('assist')[0]!.msg.mode, 'patent');
  toReady(s);
  s.clock.advance(600); // round 1 fails
  const second = s.net.of('assist').at(-1)!;
  assert.equal(second.msg.mode, 'reverse');
  s.net.clear();
  const opened = s.net.endpoints.length;
  s.main.deliver(
    { type: 'assistAck', tx: second.msg.tx, session: second.msg.session, observed: RV },
    RV,
  );
  s.main.deliver(
    { type: 'ready', tx: 1, session: second.msg.session, home: HOME, locals: [], mode: 'reverse' },
    RV,
  );
  s.clock.advance(50);
  assert.equal(s.net.endpoints.length, opened, 'no extra sockets in a reversed round');
  const sprayed = s.net.of('probe').filter((p) => p.from === s.main && p.to.ip === HOME.ip);
  assert.ok(new Set(sprayed.map((p) => p.to.port)).size >= 100);
  // The home's knock-back socket at port 40123 answers.
  s.main.deliver(
    { type: 'probeReply', tx: 1, session: second.msg.session },
    { ip: HOME.ip, port: 40123 },
  );
  assert.equal(s.result()?.report.home, `${HOME.ip}:40123`);
});

test('failures carry a kind: bad home id, refusal by the home or the rendezvous, cancel', () => {
  const kindOf = (r: ConnectResult | undefined): string => (r && !r.ok ? r.kind : '');
  assert.equal(kindOf(setup({ home: 'no spaces' }).result()), 'bad-home-id');
  const byHome = setup();
  const tx = byHome.net.of('assist')[0]!.msg.tx;
  byHome.main.deliver({ type: 'error', tx, code: 4, message: 'not paired' }, RV);
  const r = byHome.result();
  assert.equal(kindOf(r), 'refused');
  assert.equal(r && !r.ok ? r.cause.detail['by'] : '', 'home');
  const f = fakeEnv('10.1.0.2', 7);
  let cancelled: ConnectResult | undefined;
  connect(f.env, { home: 'h', rendezvous: RV }, (x) => (cancelled = x)).cancel();
  assert.equal(kindOf(cancelled), 'cancelled');
});
