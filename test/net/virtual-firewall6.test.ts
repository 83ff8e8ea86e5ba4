// The virtual IPv6 firewall (no NAT): unsolicited dropped, a simultaneous knock opens both sides,
// 'blocked' passes nothing, flows expire, the flow table is bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SocketAddr } from '../../src/net/types.js';
import {
  behindFirewall6,
  Firewall6,
  type Firewall6Options,
} from '../../src/net/virtual/firewall6.js';
import { VirtualHost } from '../../src/net/virtual/host.js';
import { VirtualWorld } from '../../src/net/virtual/world.js';

const HOME = { ip: '2001:db8:1::2', port: 7000 };
const CLIENT = { ip: '2001:db8:2::2', port: 7001 };
const ISP = { delayMs: 10, hops: 1 };

function pair(home: Partial<Firewall6Options> = {}, client: Partial<Firewall6Options> = {}) {
  const w = new VirtualWorld(3);
  const side = (addr: SocketAddr, o: Partial<Firewall6Options>) => {
    const host = new VirtualHost(addr.ip, w.clock, w.rng, w.drops);
    const fw = new Firewall6(w.internet, w.clock, w.drops, o);
    behindFirewall6(w.internet, fw, host, ISP);
    const ep = host.open({ port: addr.port });
    const got: SocketAddr[] = [];
    ep.onDatagram((_d, from) => got.push(from));
    return { host, fw, ep, got };
  };
  const h = side(HOME, home);
  const c = side(CLIENT, client);
  const run = (ms: number) => w.clock.run(w.clock.now() + ms);
  return { w, h, c, run };
}
const one = new Uint8Array([1]);

test('firewall6: an unsolicited packet is dropped at the home router', () => {
  const { w, h, c, run } = pair();
  c.ep.send(one, HOME);
  run(100);
  assert.equal(h.got.length, 0);
  assert.equal(w.drops.byReason.get('v6-firewall-unsolicited'), 1);
});

test('firewall6: a simultaneous knock opens both firewalls; addresses are not translated', () => {
  const { h, c, run } = pair();
  h.ep.send(one, CLIENT);
  c.ep.send(one, HOME);
  run(100);
  // Both first packets left their own router before the other's arrived (10 ms each way).
  assert.deepEqual(h.got, [CLIENT]);
  assert.deepEqual(c.got, [HOME]);
  h.ep.send(one, CLIENT);
  c.ep.send(one, HOME);
  run(100);
  assert.equal(h.got.length, 2);
  assert.equal(c.got.length, 2);
});

test('firewall6: filtering is address-and-port dependent', () => {
  const { w, h, c, run } = pair();
  h.ep.send(one, CLIENT);
  run(100);
  const other = c.host.open({ port: 7002 });
  other.send(one, HOME); // same client IP, another port: not the flow the home opened
  run(100);
  assert.equal(h.got.length, 0);
  c.ep.send(one, HOME);
  run(100);
  assert.deepEqual(h.got, [CLIENT]);
  assert.equal(w.drops.byReason.get('v6-firewall-unsolicited'), 2); // the home's first, the 7002
});

test('firewall6: blocked drops everything both ways', () => {
  const { w, h, c, run } = pair({ mode: 'blocked' });
  for (let i = 0; i < 3; i++) {
    h.ep.send(one, CLIENT);
    c.ep.send(one, HOME);
    run(50);
  }
  assert.equal(h.got.length + c.got.length, 0);
  assert.equal(w.drops.byReason.get('v6-firewall-blocked'), 6);
});

test('firewall6: an idle flow expires; a full table refuses new flows', () => {
  const { w, h, c, run } = pair({ flowLifetimeMs: 1_000, maxFlows: 1 });
  h.ep.send(one, CLIENT);
  run(100);
  c.ep.send(one, HOME);
  run(100);
  assert.equal(h.got.length, 1);
  h.ep.send(one, { ip: '2001:db8:3::9', port: 1 }); // a second flow: the table holds one
  run(100);
  assert.equal(w.drops.byReason.get('v6-firewall-table-full'), 1);
  run(2_000);
  c.ep.send(one, HOME);
  run(100);
  assert.equal(h.got.length, 1, 'an expired flow still admitted a packet');
  assert.equal(h.fw.flowCount, 0);
});
