// The classifier and the NAT-depth search against every virtual NAT preset: the verdict must be
// the preset's known behaviour, with a two-IP server and with a server that has only two ports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  NatClassifier,
  DEFAULT_CLASSIFY,
  type ClassifyResult,
} from '../../src/discovery/classify.js';
import type { NatClass } from '../../src/discovery/nat-class.js';
import { natLabel } from '../../src/discovery/nat-class.js';
import {
  NatDepthMeter,
  DEFAULT_NAT_DEPTH,
  type NatDepthResult,
} from '../../src/discovery/nat-depth.js';
import { NatClassCache, NatDiscovery, type Discovery } from '../../src/discovery/discover.js';
import { PRESETS, PRESET_NAMES, type PresetName } from '../../src/net/virtual/presets.js';
import { PRIMARY_ADDR, stunWorld } from './world.js';

type Verdict = Pick<NatClass, 'mapping' | 'filtering' | 'allocation' | 'delta' | 'hairpin'>;
const cone = (filtering: NatClass['filtering']): Verdict => ({
  mapping: 'independent',
  filtering,
  allocation: 'preserving',
  hairpin: false,
});
const sym = (allocation: NatClass['allocation'], delta?: number): Verdict => ({
  mapping: 'address-port',
  filtering: 'address-port',
  allocation,
  ...(delta !== undefined ? { delta } : {}),
  hairpin: false,
});

/** What each preset is, as RFC 5780 tests against a two-IP server must find. */
const TWO_IPS: Record<PresetName, Verdict> = {
  none: { ...cone('independent'), hairpin: true }, // no NAT: our own address is just us
  full: cone('independent'),
  restricted: cone('address'),
  port: cone('address-port'),
  symmetric: sym('random'),
  'symmetric-seq': sym('sequential', 1),
  'cgnat-port': cone('address-port'),
  'cgnat-symmetric': sym('random'),
};
/** With one IP: independent filtering can only be seen as "at most address-dependent". */
const ONE_IP: Record<PresetName, Verdict> = {
  ...TWO_IPS,
  none: { ...cone('address'), hairpin: true },
  full: cone('address'),
};
/** Own NAT depth where it can be measured (needs port/address filtering and cone mapping). */
const DEPTH: Partial<Record<PresetName, number>> = {
  restricted: 1,
  port: 1,
  'cgnat-port': 2,
};

function classify(preset: PresetName, altIp: boolean, seed = 1) {
  const world = stunWorld(preset, { altIp, seed });
  const r = world.run<ClassifyResult>((done) =>
    new NatClassifier(world.env, { ...DEFAULT_CLASSIFY, server: PRIMARY_ADDR }).start(done),
  );
  return { world, r };
}

for (const altIp of [true, false]) {
  const want = altIp ? TWO_IPS : ONE_IP;
  test(`classifier agrees with every preset (${altIp ? 'two IPs' : 'one IP, two ports'})`, () => {
    const rows: string[] = [];
    for (const preset of PRESET_NAMES) {
      for (const seed of [1, 2, 3]) {
        const { r } = classify(preset, altIp, seed);
        const got: Verdict = {
          mapping: r.nat.mapping,
          filtering: r.nat.filtering,
          allocation: r.nat.allocation,
          ...(r.nat.delta !== undefined ? { delta: r.nat.delta } : {}),
          hairpin: r.nat.hairpin,
        };
        assert.deepEqual(got, want[preset], `${preset} seed ${seed}: ${r.notes.join('; ')}`);
        assert.ok(r.elapsedMs < 1500, `${preset}: ${r.elapsedMs} ms`);
        assert.equal(r.altIp, altIp);
        if (seed === 1)
          rows.push(
            `${preset.padEnd(16)} ${natLabel(r.nat).padEnd(34)} ${r.sent} pkts ${r.elapsedMs.toFixed(0)} ms`,
          );
      }
    }
    console.log(rows.join('\n'));
  });
}

test('NAT depth: 1 behind one router, 2 behind CGNAT + router; unmeasurable says why', () => {
  for (const altIp of [true, false]) {
    for (const preset of PRESET_NAMES) {
      const { world, r } = classify(preset, altIp);
      const d = world.run<NatDepthResult>((done) =>
        new NatDepthMeter(world.env, {
          ...DEFAULT_NAT_DEPTH,
          server: PRIMARY_ADDR,
          other: r.other!,
          nat: r.nat,
        }).start(done),
      );
      // Restricted (address-dependent filtering) needs the second IP.
      const want = preset === 'restricted' && !altIp ? undefined : DEPTH[preset];
      if (want === undefined) assert.equal(d.ok, false, `${preset}: ${JSON.stringify(d)}`);
      else {
        assert.ok(d.ok, `${preset}: ${d.ok ? '' : d.reason}`);
        assert.equal(d.natDepth, want, preset);
        assert.equal(d.holeTtl, want + 1, preset);
      }
    }
  }
});

test('silent server: every field unknown, within the deadline, sockets closed', () => {
  const world = stunWorld('port', { altIp: true });
  const r = world.run<ClassifyResult>((done) =>
    new NatClassifier(world.env, {
      ...DEFAULT_CLASSIFY,
      server: { ip: '198.51.100.9', port: 3478 },
    }).start(done),
  );
  assert.deepEqual(r.nat, { mapping: 'unknown', filtering: 'unknown', allocation: 'unknown' });
  assert.ok(r.elapsedMs <= DEFAULT_CLASSIFY.deadlineMs);
  assert.equal(world.site.host.openSockets, 0);
});

test('NatDiscovery: class plus depth in one run; the cache refreshes only when the public IP moves or it is stale', () => {
  const world = stunWorld('cgnat-port', { altIp: false });
  const d = world.run<Discovery>((done) => new NatDiscovery(world.env, PRIMARY_ADDR).start(done));
  assert.deepEqual(d.nat, {
    mapping: 'independent',
    filtering: 'address-port',
    allocation: 'preserving',
    hairpin: false,
    natDepth: 2,
  });
  const changes: NatClass[] = [];
  const cache = new NatClassCache(world.env, PRIMARY_ADDR, 600_000, {}, (n) => changes.push(n));
  assert.equal(cache.current.mapping, 'unknown');
  cache.refresh();
  world.w.clock.run(world.w.clock.now() + 5000);
  assert.equal(cache.current.natDepth, 2);
  assert.equal(changes.length, 1);
  const runs = (): number => world.server.responder.stats.answered;
  const before = runs();
  cache.refresh({ ip: '203.0.113.10', port: 1234 }); // same public IP: cached
  world.w.clock.run(world.w.clock.now() + 5000);
  assert.equal(runs(), before);
  cache.refresh({ ip: '203.0.113.99', port: 1234 }); // moved: discover again
  world.w.clock.run(world.w.clock.now() + 5000);
  assert.ok(runs() > before);
  assert.equal(changes.length, 1, 'same class: no change reported');
});

test('hairpin: a NAT that loops our own public address back is seen doing so', () => {
  const world = stunWorld('port', { altIp: true, layers: [{ ...PRESETS.port[0], hairpin: true }] });
  const r = world.run<ClassifyResult>((done) =>
    new NatClassifier(world.env, { ...DEFAULT_CLASSIFY, server: PRIMARY_ADDR }).start(done),
  );
  assert.equal(r.nat.hairpin, true);
  assert.equal(r.nat.mapping, 'independent');
  assert.equal(r.nat.filtering, 'address-port');
});
