// The home and a standalone relay node (issue 10): it registers with the relay node only when its
// rendezvous names one (a relayNode message from anyone else is ignored), keeps that mapping
// alive, and takes relay offers from the rendezvous and the named relay node only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HomeAgent } from '../../src/home/agent.js';
import { fakeEnv } from '../support/fakes.js';

const RV = { ip: '192.0.2.1', port: 7400 };
const NODE = { ip: '192.0.2.9', port: 7410 };
const STRANGER = { ip: '203.0.113.66', port: 7410 };
const S = 'cccccccccccccccc';

function offer(tx: number) {
  return {
    type: 'relayOffer' as const,
    tx,
    session: S,
    client: { ip: '203.0.113.20', port: 6000 },
    auth: new Uint8Array(0),
    early: new Uint8Array(0),
  };
}

test('registers with the relay node its rendezvous names, and takes its offers', () => {
  const f = fakeEnv('10.0.0.2');
  const home = new HomeAgent(f.env, { id: 'h', rendezvous: RV, listen: { port: 5000 } });
  home.start();
  const ep = f.net.endpoints[0]!;
  const reg = f.net.of('register').at(-1)!;
  const observed = { ip: '198.51.100.10', port: 5000 };
  ep.deliver({ type: 'registered', tx: reg.msg.tx, observed, ttlMs: 90_000 }, RV);
  f.net.clear();

  // Not from the rendezvous: ignored; offers from that address too.
  ep.deliver({ type: 'relayNode', tx: reg.msg.tx, relay: STRANGER }, STRANGER);
  ep.deliver(offer(1), STRANGER);
  assert.equal(f.net.sent.length, 0);
  assert.equal(home.stats.dropped['unexpected-relayOffer'], 1);

  ep.deliver({ type: 'relayNode', tx: reg.msg.tx, relay: NODE }, RV);
  const toNode = f.net.of('register').filter((s) => s.to.port === NODE.port);
  assert.equal(toNode.length, 1, 'registered with the relay node');
  // Named again (after every keepaliveAck): no second registration round.
  ep.deliver({ type: 'relayNode', tx: reg.msg.tx, relay: NODE }, RV);
  assert.equal(f.net.of('register').length, 1);
  ep.deliver({ type: 'registered', tx: toNode[0]!.msg.tx, observed, ttlMs: 90_000 }, NODE);
  f.net.clear();
  f.clock.advance(20_000);
  const kas = f.net.of('keepalive');
  assert.ok(kas.some((k) => k.to.ip === NODE.ip) && kas.some((k) => k.to.ip === RV.ip));

  // An open home accepts the relay node's offer and answers it there.
  ep.deliver(offer(2), NODE);
  const accept = f.net.of('relayAccept');
  assert.equal(accept.length, 1);
  assert.deepEqual(accept[0]!.to, NODE);
  home.close();
});
