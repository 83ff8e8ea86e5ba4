// The rendezvous' candidate desk: stores a home's list only from the home, answers a query with
// it, passes the client's IPv6 on, and sends a map-check nonce only to the home's own IP, rate-limited.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RendezvousServer } from '../../src/rendezvous/server.js';
import { CANDIDATES_PAD } from '../../src/wire/candidates.js';
import { ErrorCode } from '../../src/wire/messages.js';
import { fakeEnv } from '../support/fakes.js';
import { registrationAuth } from '../../src/secure/auth.js';
import { generateIdentity, homeIdOf } from '../../src/secure/keys.js';

const HOME = { ip: '198.51.100.10', port: 5000 };
const CLIENT = { ip: '203.0.113.20', port: 6000 };
const S = 'aaaaaaaaaaaaaaaa';
const MAPPED = { kind: 'mapped' as const, addr: { ip: HOME.ip, port: 7401 } };
const HOME6 = { kind: 'ipv6' as const, addr: { ip: '2001:db8:1::2', port: 7402 } };
const CLIENT6 = { kind: 'ipv6' as const, addr: { ip: '2001:db8:2::2', port: 7403 } };

function setup() {
  const f = fakeEnv('192.0.2.1');
  const rv = new RendezvousServer(f.env, { listen: { port: 7400 } });
  rv.start();
  const ep = f.net.endpoints[0]!;
  ep.deliver({ type: 'register', tx: 1, homeId: 'h', locals: [], auth: new Uint8Array(0) }, HOME);
  f.net.clear();
  return { ...f, rv, ep };
}

test('desk: the home list is stored from the home only and given to a client that asks', () => {
  const s = setup();
  s.ep.deliver({ type: 'candidates', tx: 2, homeId: 'h', list: [MAPPED] }, CLIENT); // not the home
  const query = {
    type: 'candidatesQuery' as const,
    tx: 3,
    homeId: 'h',
    session: S,
    list: [],
    auth: new Uint8Array(),
  };
  s.ep.deliver(query, CLIENT, CANDIDATES_PAD);
  assert.deepEqual(s.net.of('peerCandidates')[0]?.msg.list, []);
  s.ep.deliver({ type: 'candidates', tx: 4, homeId: 'h', list: [MAPPED, HOME6] }, HOME);
  s.ep.deliver({ ...query, tx: 5 }, CLIENT, CANDIDATES_PAD);
  const answer = s.net.of('peerCandidates').at(-1)!;
  assert.deepEqual(answer.to, CLIENT);
  assert.deepEqual(answer.msg.list, [MAPPED, HOME6]);
  assert.equal(s.net.of('peerCandidates').filter((m) => m.to.port === HOME.port).length, 0);
});

test("desk: the client's IPv6 goes on to a home that has IPv6; unknown homes get an error", () => {
  const s = setup();
  s.ep.deliver({ type: 'candidates', tx: 2, homeId: 'h', list: [HOME6] }, HOME);
  s.ep.deliver(
    {
      type: 'candidatesQuery',
      tx: 3,
      homeId: 'h',
      session: S,
      list: [CLIENT6],
      auth: new Uint8Array(),
    },
    CLIENT,
    CANDIDATES_PAD,
  );
  const toHome = s.net.of('peerCandidates').find((m) => m.to.port === HOME.port);
  assert.deepEqual(toHome?.msg.list, [CLIENT6]);
  assert.equal(toHome?.msg.session, S);
  s.ep.deliver(
    {
      type: 'candidatesQuery',
      tx: 9,
      homeId: 'nope',
      session: S,
      list: [],
      auth: new Uint8Array(),
    },
    CLIENT,
    CANDIDATES_PAD,
  );
  assert.equal(s.net.of('error').at(-1)?.msg.code, ErrorCode.UnknownHome);
});

test("desk: a map check sends one nonce, only to the home's own IP, from a fresh socket, rate-limited", () => {
  const s = setup();
  const check = (ip: string, tx: number) =>
    s.ep.deliver(
      {
        type: 'mapCheck',
        tx,
        homeId: 'h',
        external: { ip, port: 7401 },
        nonce: '0102030405060708',
      },
      HOME,
    );
  check('192.0.2.99', 1); // someone else's IP: never
  s.ep.deliver(
    { type: 'mapCheck', tx: 2, homeId: 'h', external: MAPPED.addr, nonce: '0102030405060708' },
    CLIENT,
  ); // not the home
  assert.equal(s.net.of('mapNonce').length, 0);
  for (let i = 0; i < 10; i++) check(HOME.ip, 10 + i);
  const nonces = s.net.of('mapNonce');
  assert.equal(nonces.length, 4, 'burst of 4, then limited');
  assert.ok(nonces.every((n) => n.to.ip === HOME.ip && n.to.port === 7401));
  assert.ok(s.net.endpoints.length > 1, 'sent from fresh sockets, not the rendezvous port');
  s.clock.advance(2000);
  assert.ok(
    s.net.endpoints.slice(1).every((e) => e.closed),
    'fresh sockets closed',
  );
  assert.equal(s.rv.stats.dropped['mapcheck-rate-limited'], 6);
});

test('desk: a signed home is never answered from storage; its own answer goes back to the client', () => {
  const f = fakeEnv('192.0.2.1');
  const rv = new RendezvousServer(f.env, { listen: { port: 7400 } });
  rv.start();
  const ep = f.net.endpoints[0]!;
  const id = generateIdentity();
  const homeId = homeIdOf(id);
  const auth = registrationAuth(id, homeId, f.clock.wallNow());
  ep.deliver({ type: 'register', tx: 1, homeId, locals: [], auth }, HOME);
  assert.equal(f.net.of('registered').length, 1);
  ep.deliver({ type: 'candidates', tx: 2, homeId, list: [MAPPED, HOME6] }, HOME); // not stored
  assert.equal(rv.candidates.size, 0);
  const signed = new Uint8Array([1, 2, 3]);
  const query = { type: 'candidatesQuery' as const, tx: 3, homeId, session: S, list: [CLIENT6] };
  ep.deliver({ ...query, auth: signed }, CLIENT, CANDIDATES_PAD);
  assert.equal(f.net.of('peerCandidates').length, 0, 'no answer from storage');
  const fwd = f.net.of('candidatesQuery').at(-1)!;
  assert.deepEqual(fwd.to, HOME);
  assert.deepEqual(fwd.msg.auth, signed);
  assert.deepEqual(fwd.msg.list, [CLIENT6]);
  assert.notEqual(fwd.msg.tx, 3);
  const answer = { type: 'peerCandidates' as const, tx: fwd.msg.tx, session: S, list: [HOME6] };
  ep.deliver(answer, CLIENT); // a forged answer from someone else: dropped
  assert.equal(f.net.of('peerCandidates').length, 0);
  ep.deliver(answer, HOME);
  const back = f.net.of('peerCandidates');
  assert.equal(back.length, 1);
  assert.deepEqual(back[0]!.to, CLIENT);
  assert.deepEqual(back[0]!.msg, { ...answer, tx: 3 });
  ep.deliver(answer, HOME); // answered once only
  assert.equal(f.net.of('peerCandidates').length, 1);
  assert.equal(rv.stats.dropped['candidates-answer-unexpected'], 2);
});
