// PortMapper with scripted protocol clients on a fake clock: fallback order and head start,
// double-NAT checks, renewal and its failure, delete on close.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger, type Env, type SocketAddr } from '../../src/net/types.js';
import { createPortMapper } from '../../src/portmap/index.js';
import { PortMapper, type PortMapperOptions } from '../../src/portmap/mapper.js';
import type {
  MapOutcome,
  MapRequest,
  Mapping,
  PortMapClient,
  PortmapProtocol,
  PortmapStatus,
} from '../../src/portmap/types.js';
import { FakeClock, SeqRandom } from '../support/fakes.js';
import { ByteNet, settle } from './fake-gateway.js';

const PUBLIC = '198.51.100.7';
type Script = (req: MapRequest, n: number) => { ms: number; out: MapOutcome } | 'hang';

class ScriptedClient implements PortMapClient {
  readonly calls: Array<{ at: number; req: MapRequest }> = [];
  readonly unmapped: Mapping[] = [];
  prepared = 0;
  closed = false;
  constructor(
    readonly protocol: PortmapProtocol,
    private readonly clock: FakeClock,
    private readonly script: Script,
    private readonly unmapMs: number | 'hang' = 10,
  ) {}
  prepare(): void {
    this.prepared++;
  }
  map(req: MapRequest): Promise<MapOutcome> {
    const s = this.script(req, this.calls.length);
    this.calls.push({ at: this.clock.now(), req });
    return new Promise((resolve) => {
      if (s !== 'hang') this.clock.setTimer(s.ms, () => resolve(s.out));
    });
  }
  unmap(m: Mapping): Promise<void> {
    this.unmapped.push(m);
    const ms = this.unmapMs;
    return new Promise((resolve) => {
      if (ms !== 'hang') this.clock.setTimer(ms, resolve);
    });
  }
  close(): void {
    this.closed = true;
  }
}

const ok = (
  protocol: PortmapProtocol,
  req: MapRequest,
  ip = PUBLIC,
  lifetimeS = 120,
): MapOutcome => ({
  ok: true,
  mapping: {
    protocol,
    internalPort: req.internalPort,
    external: { ip, port: req.externalPort },
    lifetimeS,
  },
});
const absent: MapOutcome = { ok: false, kind: 'absent', reason: 'silence' };
const after = (ms: number, out: MapOutcome): { ms: number; out: MapOutcome } => ({ ms, out });

/** close() waits on the fake clock (the delete, its bound): drive the clock meanwhile. */
async function closeNow(mapper: PortMapper, clock: FakeClock): Promise<void> {
  const p = mapper.close();
  await settle(clock, 3100, 100);
  await p;
}

function setup(
  clients: (clock: FakeClock) => ScriptedClient[],
  extra: Partial<PortMapperOptions> = {},
): { mapper: PortMapper; clock: FakeClock; clients: ScriptedClient[]; states: PortmapStatus[] } {
  const clock = new FakeClock();
  const env: Env = { net: new ByteNet(clock), clock, rng: new SeqRandom(1), log: silentLogger };
  const cs = clients(clock);
  const states: PortmapStatus[] = [];
  const mapper = new PortMapper({
    env,
    internalPort: 40000,
    clients: cs,
    onChange: (s) => states.push(s),
    ...extra,
  });
  return { mapper, clock, clients: cs, states };
}

test('mapper: PCP absent → NAT-PMP maps; UPnP is only prepared; the same port is asked first', async () => {
  const { mapper, clock, clients, states } = setup((c) => [
    new ScriptedClient('pcp', c, () => after(100, absent)),
    new ScriptedClient('natpmp', c, (r) => after(20, ok('natpmp', r))),
    new ScriptedClient('upnp', c, (r) => after(20, ok('upnp', r))),
  ]);
  mapper.start();
  await settle(clock, 1000);
  const [pcp, natpmp, upnp] = clients as [ScriptedClient, ScriptedClient, ScriptedClient];
  assert.deepEqual(
    states.map((s) => s.state),
    ['probing', 'mapped'],
  );
  assert.deepEqual(states[1], {
    state: 'mapped',
    protocol: 'natpmp',
    external: { ip: PUBLIC, port: 40000 },
    lifetimeS: 120,
  });
  assert.equal(natpmp.calls[0]?.at, 100, 'NAT-PMP starts as soon as PCP gave up');
  assert.equal(natpmp.calls[0]?.req.externalPort, 40000);
  assert.equal(pcp.calls.length, 1);
  assert.equal(upnp.calls.length, 0);
  assert.deepEqual([pcp.prepared, natpmp.prepared, upnp.prepared], [1, 1, 1]);
  await closeNow(mapper, clock);
});

test('mapper: a silent protocol only delays the next by the head start', async () => {
  const { mapper, clock, clients, states } = setup((c) => [
    new ScriptedClient('pcp', c, () => after(2500, absent)),
    new ScriptedClient('natpmp', c, () => after(2500, absent)),
    new ScriptedClient('upnp', c, (r) => after(300, ok('upnp', r))),
  ]);
  mapper.start();
  await settle(clock, 1500);
  assert.deepEqual(
    clients.map((c) => c.calls[0]?.at),
    [0, 500, 1000],
  );
  assert.equal(states.at(-1)?.state, 'mapped');
  assert.equal(states.at(-1)?.protocol, 'upnp');
});

test("mapper: a late second mapping is deleted unless it is the winner's own rule", async () => {
  const { mapper, clock, clients } = setup((c) => [
    new ScriptedClient('pcp', c, (r) => after(700, ok('pcp', r))),
    new ScriptedClient('natpmp', c, (r) => after(10, ok('natpmp', r, '203.0.113.9'))),
  ]);
  mapper.start();
  await settle(clock, 1000);
  const [pcp, natpmp] = clients as [ScriptedClient, ScriptedClient];
  assert.equal(mapper.status.protocol, 'natpmp');
  assert.equal(pcp.unmapped.length, 1, 'a different external address is a second rule');
  assert.equal(natpmp.unmapped.length, 0);
  const same = setup((c) => [
    new ScriptedClient('pcp', c, (r) => after(700, ok('pcp', r))),
    new ScriptedClient('natpmp', c, (r) => after(10, ok('natpmp', r))),
  ]);
  same.mapper.start();
  await settle(same.clock, 1000);
  assert.equal(same.clients[0]?.unmapped.length, 0, 'the same rule must not be deleted');
});

test('mapper: nothing answers → unavailable with every reason, probed again later', async () => {
  const { mapper, clock, clients, states } = setup(
    (c) => [
      new ScriptedClient('pcp', c, () => after(100, absent)),
      new ScriptedClient('upnp', c, () => after(100, absent)),
    ],
    { reprobeMs: 60_000 },
  );
  mapper.start();
  await settle(clock, 500);
  assert.deepEqual(states.at(-1), { state: 'unavailable', reason: 'pcp: silence; upnp: silence' });
  await settle(clock, 60_000, 100);
  assert.equal(clients[0]?.calls.length, 2);
  await closeNow(mapper, clock);
});

test('mapper: double NAT (private or CGNAT external, or not what the rendezvous sees) is not advertised', async () => {
  for (const [ip, observed, re] of [
    ['100.64.3.4', undefined, /^double NAT: .*100\.64\.3\.4 is not public/],
    ['192.168.0.2', undefined, /^double NAT/],
    [
      PUBLIC,
      '203.0.113.50',
      /^double NAT: the router says 198\.51\.100\.7, the rendezvous sees 203\.0\.113\.50/,
    ],
  ] as const) {
    let verified = 0;
    const { mapper, clock, clients, states } = setup(
      (c) => [new ScriptedClient('pcp', c, (r) => after(10, ok('pcp', r, ip)))],
      { observedIp: () => observed, verify: () => Promise.resolve(++verified > 0) },
    );
    mapper.start();
    await settle(clock, 200);
    assert.equal(states.at(-1)?.state, 'unavailable');
    assert.match(states.at(-1)?.reason ?? '', re);
    assert.equal(states.at(-1)?.external, undefined);
    assert.equal(clients[0]?.unmapped.length, 1, 'the useless mapping is deleted');
    assert.equal(verified, 0);
  }
});

test('mapper: the verify seam decides; it gets the external address', async () => {
  const seen: SocketAddr[] = [];
  const bad = setup((c) => [new ScriptedClient('pcp', c, (r) => after(10, ok('pcp', r)))], {
    verify: (e) => (seen.push(e), Promise.resolve(false)),
  });
  bad.mapper.start();
  await settle(bad.clock, 200);
  assert.deepEqual(seen, [{ ip: PUBLIC, port: 40000 }]);
  assert.match(bad.states.at(-1)?.reason ?? '', /^unverified/);
  const thrown = setup((c) => [new ScriptedClient('pcp', c, (r) => after(10, ok('pcp', r)))], {
    verify: () => Promise.reject(new Error('rendezvous gone')),
    observedIp: () => PUBLIC,
  });
  thrown.mapper.start();
  await settle(thrown.clock, 200);
  assert.equal(thrown.states.at(-1)?.state, 'unavailable');
});

test('mapper: renews at half the lifetime with the same external port; failures back off, then failed', async () => {
  let fail = false;
  const { mapper, clock, clients, states } = setup(
    (c) => [
      new ScriptedClient('pcp', c, (r) =>
        after(10, fail ? { ok: false, kind: 'refused', reason: 'NO_RESOURCES' } : ok('pcp', r)),
      ),
    ],
    { reprobeMs: 600_000 },
  );
  mapper.start();
  await settle(clock, 100);
  const pcp = clients[0] as ScriptedClient;
  await settle(clock, 60_000, 10);
  assert.equal(pcp.calls.length, 2);
  assert.equal(pcp.calls[1]?.at, 60_010, 'renewal at half of 120 s after the grant');
  assert.equal(states.length, 2, 'an unchanged renewal is not a state change');
  fail = true;
  await settle(clock, 60_000 + 2_000 + 4_000 + 100, 10);
  assert.deepEqual(
    pcp.calls.slice(2).map((c) => c.at - (pcp.calls[2]?.at ?? 0)),
    [0, 2010, 6020],
  );
  assert.deepEqual(states.at(-1), {
    state: 'failed',
    protocol: 'pcp',
    reason: 'renewal: NO_RESOURCES',
  });
});

test('mapper: a renewal that moves the mapping is verified and reported again', async () => {
  const { mapper, clock, states } = setup((c) => [
    new ScriptedClient('pcp', c, (r, n) =>
      after(10, ok('pcp', { ...r, externalPort: n === 0 ? 40000 : 41000 })),
    ),
  ]);
  mapper.start();
  await settle(clock, 60_200, 100);
  assert.deepEqual(
    states.map((s) => s.external?.port),
    [undefined, 40000, 41000],
  );
  await closeNow(mapper, clock);
});

test('mapper: close deletes the mapping, closes the clients, reports off; bounded if the router hangs', async () => {
  const { mapper, clock, clients, states } = setup((c) => [
    new ScriptedClient('pcp', c, (r) => after(10, ok('pcp', r))),
  ]);
  mapper.start();
  await settle(clock, 100);
  const closing = mapper.close();
  await settle(clock, 100);
  await closing;
  assert.equal(clients[0]?.unmapped.length, 1);
  assert.ok(clients[0]?.closed);
  assert.equal(states.at(-1)?.state, 'off');

  const hung = setup(
    (c) => [new ScriptedClient('pcp', c, (r) => after(10, ok('pcp', r)), 'hang')],
    { closeMs: 3000 },
  );
  hung.mapper.start();
  await settle(hung.clock, 100);
  let closed = false;
  void hung.mapper.close().then(() => (closed = true));
  await settle(hung.clock, 2900, 100);
  assert.equal(closed, false);
  await settle(hung.clock, 200, 100);
  assert.equal(closed, true, 'close() is bounded by closeMs');
});

test('mapper: a mapping granted while closing is deleted too; no further protocol is tried', async () => {
  const { mapper, clock, clients } = setup((c) => [
    new ScriptedClient('pcp', c, (r) => after(800, ok('pcp', r))),
    new ScriptedClient('natpmp', c, (r) => after(10, ok('natpmp', r))),
  ]);
  mapper.start();
  await settle(clock, 100);
  const closing = mapper.close();
  await settle(clock, 1500);
  await closing;
  assert.equal(clients[0]?.unmapped.length, 1);
  assert.equal(clients[1]?.calls.length, 0);
});

test('createPortMapper: off → none; no default gateway → unavailable', async () => {
  const clock = new FakeClock();
  const env: Env = { net: new ByteNet(clock), clock, rng: new SeqRandom(1), log: silentLogger };
  assert.equal(createPortMapper({ env, mode: 'off', internalPort: 1 }), undefined);
  const states: PortmapStatus[] = [];
  const m = createPortMapper({
    env,
    mode: 'auto',
    internalPort: 40000,
    onChange: (s) => states.push(s),
    findGateway: () => undefined,
  });
  m?.start();
  await settle(clock, 10);
  assert.deepEqual(states.at(-1), { state: 'unavailable', reason: 'no default IPv4 gateway' });
});
