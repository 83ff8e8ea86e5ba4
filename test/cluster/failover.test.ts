// Home-side failover in the agent (issue 12), on fakes: the registration moves to the next node
// within 2 keepalive periods of the current one going silent; the CLI forms of --rendezvous.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  firstNode,
  formatNodeList,
  hostPortListArg,
  resolveNodes,
} from '../../src/cli/rendezvous-nodes.js';
import { HomeAgent } from '../../src/home/agent.js';
import { keepaliveRetransmit } from '../../src/home/registration.js';
import { RendezvousRotation } from '../../src/home/rotation.js';
import type { SocketAddr } from '../../src/net/types.js';
import { sameAddr } from '../../src/wire/addr.js';
import { fakeEnv } from '../support/fakes.js';

const A = { ip: '192.0.2.1', port: 7400 };
const B = { ip: '192.0.2.2', port: 7400 };
const OBSERVED = { ip: '198.51.100.10', port: 5000 };

function setup(keepaliveMs: number) {
  const f = fakeEnv('10.0.0.2');
  const home = new HomeAgent(f.env, {
    id: 'h',
    rendezvous: A,
    rendezvousNodes: [B],
    listen: { port: 5000 },
    keepaliveMs,
  });
  let via: SocketAddr | undefined;
  home.onRegistered((_o, v) => (via = v));
  home.start();
  const ep = f.net.endpoints[0]!;
  const answerRegister = (node: SocketAddr) => {
    const reg = f.net.of('register').at(-1)!;
    assert.ok(sameAddr(reg.to, node), `register went to ${reg.to.ip}`);
    ep.deliver({ type: 'registered', tx: reg.msg.tx, observed: OBSERVED, ttlMs: 90_000 }, node);
  };
  return { ...f, home, ep, answerRegister, via: () => via };
}

for (const period of [500, 5_000, 20_000]) {
  test(`keepalives unanswered: the home registers with the next node within 2 periods (${period} ms)`, () => {
    const s = setup(period);
    s.answerRegister(A);
    assert.ok(s.via() && sameAddr(s.via()!, A));
    // Node A dies right after registering us (the worst case: a whole period before we notice).
    const died = s.clock.now();
    let moved: number | undefined;
    for (let t = 0; t < 2 * period && moved === undefined; t += period / 100) {
      s.clock.advance(period / 100);
      const reg = s.net.of('register').at(-1);
      if (reg && sameAddr(reg.to, B)) moved = s.clock.now() - died;
    }
    assert.ok(moved !== undefined, 'no register to node B within 2 periods');
    s.answerRegister(B);
    assert.ok(sameAddr(s.via()!, B));
    assert.ok(sameAddr(s.home.rendezvous, B));
    console.log(
      `failover (fake clock): register sent to node B ${moved} ms after node A went silent (keepalive ${period} ms)`,
    );
    // Node A's late answers are no longer taken for the rendezvous'.
    s.ep.deliver({ type: 'keepaliveAck', tx: 1, observed: OBSERVED }, A);
    assert.equal(s.home.stats.dropped['unexpected-keepaliveAck'], 1);
    s.home.close();
  });
}

test('a registration round that gives up moves to the next node at once', () => {
  const s = setup(20_000);
  s.clock.advance(20_000); // node A never answers: 6 sends, then give up
  const regs = s.net.of('register');
  assert.ok(
    regs.some((r) => sameAddr(r.to, B)),
    'node B tried',
  );
  s.answerRegister(B);
  assert.ok(sameAddr(s.via()!, B));
  s.home.close();
});

test('keepalive re-sends are given up within 0.69 of a period (1, 2, 4, 4 s at 20 s)', () => {
  assert.deepEqual(keepaliveRetransmit(20_000), { rtoMs: 1000, maxRtoMs: 4000, maxSends: 4 });
  for (const p of [1000, 5000, 20_000, 60_000]) {
    const o = keepaliveRetransmit(p);
    let rto = o.rtoMs;
    let total = 0;
    for (let i = 0; i < o.maxSends; i++, rto = Math.min(2 * rto, o.maxRtoMs)) total += rto;
    assert.ok(total <= 0.69 * p, `period ${p}: given up after ${total} ms`);
  }
});

test('rotation: fixed order, wraps, drops duplicates, needs one node', () => {
  const r = new RendezvousRotation([A, B, { ...A }]);
  assert.equal(r.size, 2);
  assert.deepEqual([r.current(), r.advance(), r.advance()], [A, B, A]);
  assert.throws(() => new RendezvousRotation([]), TypeError);
});

test('--rendezvous: repeated, comma lists and DNS names (every record a node)', async () => {
  const list = hostPortListArg(
    'rv.example.net:7400',
    hostPortListArg('192.0.2.1:7400,192.0.2.9:7401'),
  );
  assert.equal(list.length, 3);
  assert.throws(() => hostPortListArg(' , '), /HOST:PORT/);
  assert.throws(() => hostPortListArg('a:1,nope'), /HOST:PORT/);
  const nodes = await resolveNodes(list, (host) => {
    assert.equal(host, 'rv.example.net');
    return Promise.resolve([
      { address: '203.0.113.10', family: 4 },
      { address: '203.0.113.11', family: 4 },
    ]);
  });
  assert.deepEqual(
    nodes.map((n) => `${n.ip}:${n.port}`),
    ['192.0.2.1:7400', '192.0.2.9:7401', '203.0.113.10:7400', '203.0.113.11:7400'],
  );
});

test('the saved form (config.json) round-trips; a pairing code takes its first node', async () => {
  const list = hostPortListArg('rv.example.net:7400,[2001:db8::1]:7400');
  assert.equal(formatNodeList(list), 'rv.example.net:7400,[2001:db8::1]:7400');
  const first = await firstNode(hostPortListArg(formatNodeList(list)), () =>
    Promise.resolve([{ address: '203.0.113.10', family: 4 }]),
  );
  assert.deepEqual(first, { ip: '203.0.113.10', port: 7400 });
});
