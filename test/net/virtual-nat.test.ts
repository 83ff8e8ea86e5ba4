// RFC 4787 behaviours of the virtual NAT box, observed the way a peer would: from outside.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SocketAddr, UdpEndpoint } from '../../src/net/types.js';
import type { NatBehaviour } from '../../src/net/virtual/nat.js';
import { VirtualWorld } from '../../src/net/virtual/world.js';

const PUB = { publicIp: '203.0.113.10', hostIp: '192.168.1.10', innerIps: ['100.64.0.10'] };
const ISP = { delayMs: 5, hops: 1 };

/** A NATed host plus two public observers that report the source they saw. */
function lab(layers: Partial<NatBehaviour>[], firewall = true) {
  const w = new VirtualWorld(7);
  const site = w.site(layers, PUB, ISP, firewall);
  const obs = ['198.51.100.1', '198.51.100.2'].map(
    (ip) =>
      w.site([], { publicIp: ip, hostIp: ip, innerIps: [] }, { delayMs: 5, hops: 0, onCore: true })
        .host,
  );
  const seen: Array<{ at: string; from: SocketAddr }> = [];
  const observers = obs.map((h) => {
    const eps = [1000, 2000].map((port) => {
      const ep = h.open({ port });
      ep.onDatagram((_d, from) => seen.push({ at: `${h.ip}:${port}`, from }));
      return ep;
    });
    return eps;
  });
  const inside = site.host.open({ port: 5000 });
  const got: SocketAddr[] = [];
  inside.onDatagram((_d, from) => got.push(from));
  const send = (ep: UdpEndpoint, to: SocketAddr, ttl?: number) => {
    ep.send(new Uint8Array([1]), to, ttl === undefined ? undefined : { ttl });
    w.clock.run(w.clock.now() + 100);
  };
  return { w, site, inside, observers, seen, got, send };
}

const O1A = { ip: '198.51.100.1', port: 1000 };
const O1B = { ip: '198.51.100.1', port: 2000 };
const O2A = { ip: '198.51.100.2', port: 1000 };

test('endpoint-independent mapping keeps one external port for every destination, preserving the port', () => {
  const l = lab([{ mapping: 'endpoint-independent', allocation: 'preserving' }]);
  for (const to of [O1A, O1B, O2A]) l.send(l.inside, to);
  assert.deepEqual(
    new Set(l.seen.map((s) => `${s.from.ip}:${s.from.port}`)),
    new Set(['203.0.113.10:5000']),
  );
});

test('address-and-port-dependent mapping with random allocation gives each destination its own port', () => {
  const l = lab([{ mapping: 'address-and-port-dependent', allocation: 'random' }]);
  for (const to of [O1A, O1B, O2A]) l.send(l.inside, to);
  const ports = new Set(l.seen.map((s) => s.from.port));
  assert.equal(ports.size, 3);
  l.send(l.inside, O1A); // same destination again: same mapping
  assert.equal(l.seen[3]!.from.port, l.seen[0]!.from.port);
});

test('address-dependent mapping shares a port per remote IP', () => {
  const l = lab([{ mapping: 'address-dependent', allocation: 'sequential' }]);
  for (const to of [O1A, O1B, O2A]) l.send(l.inside, to);
  assert.equal(l.seen[0]!.from.port, l.seen[1]!.from.port);
  assert.notEqual(l.seen[0]!.from.port, l.seen[2]!.from.port);
});

test('sequential allocation hands out consecutive ports', () => {
  const l = lab([{ mapping: 'address-and-port-dependent', allocation: 'sequential' }]);
  for (const to of [O1A, O1B, O2A]) l.send(l.inside, to);
  const [a, b, c] = l.seen.map((s) => s.from.port) as [number, number, number];
  assert.equal(b, a + 1);
  assert.equal(c, b + 1);
});

test('filtering: endpoint-independent, address-dependent, address-and-port-dependent', () => {
  for (const [filtering, expected] of [
    ['endpoint-independent', 3],
    ['address-dependent', 2],
    ['address-and-port-dependent', 1],
  ] as const) {
    const l = lab([{ filtering }]);
    l.send(l.inside, O1A);
    const ext = l.seen[0]!.from;
    // From the contacted endpoint, another port of the same IP, and another IP.
    l.send(l.observers[0]![0]!, ext);
    l.send(l.observers[0]![1]!, ext);
    l.send(l.observers[1]![0]!, ext);
    assert.equal(l.got.length, expected, filtering);
  }
});

test('mappings expire after their lifetime without traffic', () => {
  const l = lab([{ mappingLifetimeMs: 1000 }]);
  l.send(l.inside, O1A);
  const ext = l.seen[0]!.from;
  l.w.clock.run(l.w.clock.now() + 2000);
  l.send(l.observers[0]![0]!, ext);
  assert.equal(l.got.length, 0);
});

test('a packet whose TTL expires at the NAT leaves no mapping; TTL 2 passes the NAT and dies at the ISP', () => {
  const l = lab([{}]);
  l.send(l.inside, O1A, 1);
  assert.equal(l.site.nats[0]!.mappings, 0);
  l.send(l.inside, O1A, 2);
  assert.equal(l.site.nats[0]!.mappings, 1);
  assert.equal(l.seen.length, 0); // the rendezvous sits behind the ISP hop: needs TTL 3
  l.send(l.inside, O1A, 3);
  assert.equal(l.seen.length, 1);
});

test('without a firewall, an unsolicited packet blocks its port for flows to that sender (Linux)', () => {
  for (const firewall of [true, false]) {
    const l = lab([{ mapping: 'endpoint-independent', allocation: 'preserving' }], firewall);
    // O1A knocks on 203.0.113.10:5000 before the inside host ever sent there.
    l.send(l.observers[0]![0]!, { ip: '203.0.113.10', port: 5000 });
    l.send(l.inside, O1A);
    const port = l.seen.find((s) => s.at === '198.51.100.1:1000')!.from.port;
    if (firewall) assert.equal(port, 5000);
    else
      assert.notEqual(port, 5000, 'the blocked port must not be allocated towards the same sender');
  }
});

test('hairpinning only where enabled', () => {
  for (const hairpin of [true, false]) {
    const l = lab([{ hairpin, filtering: 'endpoint-independent' }]);
    const other = l.site.host.open({ port: 6000 });
    let hits = 0;
    other.onDatagram(() => hits++);
    l.send(other, O1A); // open a mapping for port 6000
    l.send(l.inside, { ip: '203.0.113.10', port: 6000 });
    assert.equal(hits, hairpin ? 1 : 0);
  }
});

test('nested NAT: a home router behind a port-preserving CGNAT shows the CGNAT address outside', () => {
  const l = lab([
    { filtering: 'address-and-port-dependent' },
    { filtering: 'address-and-port-dependent' },
  ]);
  l.send(l.inside, O1A);
  assert.deepEqual(l.seen[0]!.from, { ip: '203.0.113.10', port: 5000 });
  l.send(l.observers[0]![0]!, l.seen[0]!.from);
  assert.equal(l.got.length, 1);
  assert.equal(l.site.nats.length, 2);
});

test('a NAT that translates before it decrements keeps state for a packet whose TTL dies there', () => {
  const l = lab([{ ttlExpiryKeepsState: true }]);
  l.send(l.inside, O1A, 1);
  assert.equal(l.site.nats[0]!.mappings, 1);
  assert.equal(l.seen.length, 0);
  // The hole is open: the contacted endpoint's reply comes in.
  l.send(l.observers[0]![0]!, { ip: '203.0.113.10', port: 5000 });
  assert.equal(l.got.length, 1);
});

test('outbound traffic refreshes a mapping; it expires only after a full idle lifetime', () => {
  const l = lab([{ mappingLifetimeMs: 1000 }]);
  for (let i = 0; i < 5; i++) {
    l.send(l.inside, O1A); // every 100 ms of virtual time
    l.w.clock.run(l.w.clock.now() + 500);
  }
  l.send(l.observers[0]![0]!, l.seen[0]!.from);
  assert.equal(l.got.length, 1, 'refreshed mapping still admits the contacted endpoint');
  assert.equal(new Set(l.seen.map((s) => s.from.port)).size, 1, 'same port throughout');
});

test('port allocation stays inside the configured range', () => {
  for (const allocation of ['random', 'sequential', 'preserving'] as const) {
    const l = lab([
      { mapping: 'address-and-port-dependent', allocation, portLo: 40000, portHi: 40009 },
    ]);
    for (const to of [O1A, O1B, O2A]) l.send(l.inside, to);
    for (const s of l.seen) assert.ok(s.from.port >= 40000 && s.from.port <= 40009, allocation);
    assert.equal(new Set(l.seen.map((s) => s.from.port)).size, 3, allocation);
  }
});

test('a full pool refuses new mappings instead of reusing a live port', () => {
  const l = lab([{ mapping: 'address-and-port-dependent', portLo: 40000, portHi: 40001 }]);
  for (const to of [O1A, O1B, O2A]) l.send(l.inside, to);
  assert.equal(l.seen.length, 2);
  assert.equal(l.w.drops.byReason.get('nat-ports-exhausted'), 1);
});

test('TTL: a packet with TTL 1 dies at the first router on the internet side too', () => {
  const l = lab([{ filtering: 'endpoint-independent' }]);
  l.send(l.inside, O1A);
  const ext = l.seen[0]!.from;
  l.send(l.observers[0]![0]!, ext, 2); // observer (on core) → ISP router → NAT: dies at the NAT
  assert.equal(l.got.length, 0);
  l.send(l.observers[0]![0]!, ext, 3);
  assert.equal(l.got.length, 1);
});

test('sockets fail like real ones: bind conflicts and handler throws reach onError, never the caller', () => {
  const l = lab([{}]);
  const errors: string[] = [];
  const dup = l.site.host.open({ port: 5000 }); // already bound by lab()
  dup.onError((e) => errors.push(e.message));
  const wrongIp = l.site.host.open({ ip: '10.9.9.9' });
  wrongIp.onError((e) => errors.push(e.message));
  assert.equal(dup.closed, true);
  assert.equal(dup.localAddress(), undefined);
  l.inside.onDatagram(() => {
    throw new Error('role bug');
  });
  l.inside.onError((e) => errors.push(e.message));
  l.send(l.inside, O1A);
  l.send(l.observers[0]![0]!, l.seen[0]!.from);
  assert.equal(errors.length, 3);
  assert.match(errors[0]!, /EADDRINUSE/);
  assert.match(errors[1]!, /EADDRNOTAVAIL/);
  assert.equal(errors[2], 'role bug');
  dup.close(); // closing the failed duplicate must not unbind the real socket
  l.inside.onDatagram(() => errors.push('got'));
  l.send(l.observers[0]![0]!, l.seen[0]!.from);
  assert.equal(errors[3], 'got');
});
