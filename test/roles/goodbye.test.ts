// Homes say goodbye (issue 21 item 9): on SIGTERM the home sends a deregister bound to each
// server (rendezvous, relay node); the server forgets it at once and answers clients "home
// offline" — an assist with ErrorCode.HomeOffline, a relayOpen with a refusal — instead of a
// timeout; its relayed sessions end. A goodbye signed for another server is refused.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HomeAgent } from '../../src/home/agent.js';
import { fromRendezvousError } from '../../src/client/connect-error.js';
import { RelayNode } from '../../src/rendezvous/relay-node.js';
import { RendezvousServer } from '../../src/rendezvous/server.js';
import {
  deregistrationAuth,
  registrationAuth,
  verifyDeregistration,
} from '../../src/secure/auth.js';
import { HomeTrustStore } from '../../src/secure/home-trust.js';
import { initState } from '../../src/secure/state.js';
import { ErrorCode } from '../../src/wire/messages.js';
import { fakeEnv } from '../support/fakes.js';

const RV = { ip: '192.0.2.1', port: 7400 };
const NODE = { ip: '192.0.2.9', port: 7410 };
const HOME = { ip: '198.51.100.10', port: 5000 };
const CLIENT = { ip: '203.0.113.20', port: 6000 };

test('the home says goodbye to its rendezvous and its relay node, bound to each', async () => {
  const f = fakeEnv('10.0.0.2');
  const state = initState(join(mkdtempSync(join(tmpdir(), 'porthole-bye-')), 'home'), 'home');
  const trust = new HomeTrustStore(state);
  const home = new HomeAgent(f.env, {
    id: state.homeId,
    rendezvous: RV,
    listen: { port: 5000 },
    trust,
  });
  home.start();
  const ep = f.net.endpoints[0]!;
  const reg = f.net.of('register').at(-1)!;
  ep.deliver({ type: 'registered', tx: reg.msg.tx, observed: HOME, ttlMs: 90_000 }, RV);
  ep.deliver({ type: 'relayNode', tx: reg.msg.tx, relay: NODE }, RV);
  const toNode = f.net.of('register').find((s) => s.to.port === NODE.port)!;
  ep.deliver({ type: 'registered', tx: toNode.msg.tx, observed: HOME, ttlMs: 90_000 }, NODE);
  f.net.clear();

  let done = false;
  const bye = home.goodbye().then(() => (done = true));
  const sent = f.net.of('deregister');
  assert.deepEqual(
    sent.map((s) => s.to),
    [RV, NODE],
  );
  for (const s of sent) {
    const v = verifyDeregistration(state.homeId, s.msg.auth);
    assert.ok(v.ok, 'signed');
    assert.deepEqual(v.server.addr, s.to, 'bound to the server it went to');
  }
  ep.deliver({ type: 'deregistered', tx: sent[0]!.msg.tx }, RV);
  await Promise.resolve();
  assert.equal(done, false, 'waits for both');
  ep.deliver({ type: 'deregistered', tx: sent[1]!.msg.tx }, NODE);
  await bye;
  f.clock.advance(60_000);
  assert.equal(f.net.of('keepalive').length, 0, 'no keepalive after the goodbye');
  home.close();

  // Nobody answers: it gives up after its bound (the registration then expires as before).
  const g = fakeEnv('10.0.0.3');
  const h2 = new HomeAgent(g.env, { id: 'h2', rendezvous: RV, listen: { port: 5000 } });
  h2.start();
  const r2 = g.net.of('register').at(-1)!;
  g.net.endpoints[0]!.deliver(
    { type: 'registered', tx: r2.msg.tx, observed: HOME, ttlMs: 90_000 },
    RV,
  );
  let gaveUp = false;
  const b2 = h2.goodbye(600).then(() => (gaveUp = true));
  g.clock.advance(700);
  await b2;
  assert.ok(gaveUp);
  assert.equal(g.net.of('deregister').length, 3, 'three sends, then it stops');
  h2.close();
});

test('the rendezvous forgets a home that said goodbye: clients hear "offline" at once', () => {
  const f = fakeEnv('192.0.2.1');
  const rv = new RendezvousServer(f.env, { listen: { port: 7400 } });
  rv.start();
  const ep = f.net.endpoints[0]!;
  ep.deliver({ type: 'register', tx: 1, homeId: 'h', locals: [], auth: new Uint8Array(0) }, HOME);
  // An open id leaves only from its own mapping.
  ep.deliver({ type: 'deregister', tx: 2, homeId: 'h', auth: new Uint8Array(0) }, CLIENT);
  assert.equal(f.net.of('error').at(-1)?.msg.code, ErrorCode.Unauthorized);
  assert.equal(rv.stats.homes, 1);
  ep.deliver({ type: 'deregister', tx: 3, homeId: 'h', auth: new Uint8Array(0) }, HOME);
  assert.deepEqual(f.net.of('deregistered').at(-1)?.msg, { type: 'deregistered', tx: 3 });
  assert.equal(rv.stats.homes, 0);
  f.net.clear();
  ep.deliver(
    {
      type: 'assist',
      mode: 'patent',
      tx: 9,
      homeId: 'h',
      session: 'aaaaaaaaaaaaaaaa',
      auth: new Uint8Array(0),
    },
    CLIENT,
  );
  const err = f.net.of('error')[0]?.msg;
  assert.equal(err?.code, ErrorCode.HomeOffline);
  const verdict = fromRendezvousError(err.code, err.message, true);
  assert.ok(!verdict.retry && verdict.kind === 'home-offline');
  ep.deliver(
    {
      type: 'relayOpen',
      tx: 10,
      homeId: 'h',
      session: 'bbbbbbbbbbbbbbbb',
      auth: new Uint8Array(0),
      early: new Uint8Array(0),
    },
    CLIENT,
  );
  const closed = f.net.of('relayClosed')[0]?.msg;
  assert.match(closed?.message ?? '', /offline/);
  // It comes back: registered again, no longer offline.
  ep.deliver({ type: 'register', tx: 11, homeId: 'h', locals: [], auth: new Uint8Array(0) }, HOME);
  f.net.clear();
  ep.deliver({ type: 'addrQuery', tx: 12, homeId: 'h' }, CLIENT);
  assert.equal(f.net.of('addrReply').length, 1);
  rv.close();
});

test('a signed goodbye: taken by the server it is bound to, refused by another', () => {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-bye-'));
  const state = initState(join(dir, 'home'), 'home');
  const f = fakeEnv('192.0.2.9');
  const node = new RelayNode(f.env, { listen: { port: 7410 } });
  node.start();
  const ep = f.net.endpoints[0]!;
  const wall = f.clock.wallNow();
  const id = state.homeId;
  ep.deliver(
    {
      type: 'register',
      tx: 1,
      homeId: id,
      locals: [],
      auth: registrationAuth(state.identity, id, wall, { role: 'relay', addr: NODE }),
    },
    HOME,
  );
  assert.equal(node.stats.homes, 1);
  const toRv = deregistrationAuth(state.identity, id, wall, { role: 'rendezvous', addr: RV });
  ep.deliver({ type: 'deregister', tx: 2, homeId: id, auth: toRv }, CLIENT);
  assert.equal(f.net.of('error').at(-1)?.msg.code, ErrorCode.Unauthorized);
  assert.equal(node.stats.homes, 1, 'a goodbye for the rendezvous cannot drop it here');
  const toNode = deregistrationAuth(state.identity, id, wall, { role: 'relay', addr: NODE });
  ep.deliver({ type: 'deregister', tx: 3, homeId: id, auth: toNode }, CLIENT);
  assert.equal(f.net.of('deregistered').length, 1);
  assert.equal(node.stats.homes, 0);
  ep.deliver({ type: 'deregister', tx: 4, homeId: id, auth: toNode }, CLIENT);
  assert.equal(f.net.of('error').at(-1)?.msg.code, ErrorCode.Unauthorized, 'a replay is refused');
  node.close();
});
