// The Home Assistant mapping on its own (no HA needed): commands → exactly one service call,
// exposure defaults and rules, and 10,000 hostile or odd `subscribe_entities` messages replayed at
// the parser (unknown domains, huge attributes, missing fields, wrong types, prototype keys):
// nothing throws, the store stays bounded, every state still fits one message for both wire
// versions, and what a v1 client receives passes its strict decoder.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  editExposure,
  exposedByDefault,
  isExposed,
  parseExposure,
  type ExposureFile,
} from '../../src/devices/exposure.js';
import {
  applyEntitiesEvent,
  areaOf,
  MAX_HA_ENTITIES,
  parseAreas,
  parseDevices,
  parseEntityRegistry,
  toEntityState,
  toServiceCall,
  type HaEntity,
} from '../../src/devices/ha-map.js';
import { isV1EntityId, parseEntityState } from '../../src/devices/model.js';
import { decodeRpc, encodeRpc, fitState, MAX_RPC } from '../../src/devices/rpc-wire.js';

test('each command becomes one HA service call; read-only and unsupported ones are refused', () => {
  assert.deepEqual(
    toServiceCall('light.k', { service: 'turn_on', brightness: 10, color_temp: 250 }),
    {
      domain: 'light',
      service: 'turn_on',
      data: { brightness: 10, color_temp_kelvin: 4000 },
    },
  );
  assert.deepEqual(toServiceCall('cover.g', { service: 'open' }).service, 'open_cover');
  assert.deepEqual(toServiceCall('cover.g', { service: 'set_position', position: 30 }), {
    domain: 'cover',
    service: 'set_cover_position',
    data: { position: 30 },
  });
  assert.deepEqual(toServiceCall('fan.f', { service: 'turn_on', percentage: 50 }).data, {
    percentage: 50,
  });
  assert.equal(toServiceCall('lock.d', { service: 'unlock' }).service, 'unlock');
  assert.throws(() => toServiceCall('sensor.t', { service: 'toggle' }), /read-only/);
  assert.throws(() => toServiceCall('weather.w', { service: 'turn_on' }), /read-only/);
  assert.throws(() => toServiceCall('lock.d', { service: 'toggle' }), /does not support toggle/);
});

test('exposure: defaults hide locks, alarms and door/garage/gate covers; rules per client', () => {
  const s = (entity_id: string, device_class?: string) => ({
    entity_id,
    attributes: device_class ? { device_class } : ({} as Record<string, string>),
  });
  assert.equal(exposedByDefault(s('light.a')), true);
  assert.equal(exposedByDefault(s('lock.front')), false);
  assert.equal(exposedByDefault(s('alarm_control_panel.x')), false);
  assert.equal(exposedByDefault(s('cover.g', 'garage')), false);
  assert.equal(exposedByDefault(s('cover.w', 'window')), true);
  let f: ExposureFile = parseExposure({});
  f = editExposure(f, 'expose', ['lock.*']);
  f = editExposure(f, 'hide', ['lock.front'], 'GUESTPHONE1');
  assert.equal(isExposed(f, s('lock.front'), undefined), true);
  assert.equal(isExposed(f, s('lock.front'), 'OWNERPHONE1'), true);
  assert.equal(isExposed(f, s('lock.front'), 'GUESTPHONE1'), false);
  assert.equal(isExposed(f, s('lock.back'), 'GUESTPHONE1'), true);
  f = editExposure(f, 'reset', [], 'GUESTPHONE1');
  assert.deepEqual(f.clients, {});
  // A hand-edited file with junk keeps only valid patterns.
  assert.deepEqual(parseExposure({ expose: ['light.*', 3, 'Bad Id'], clients: { '!!': {} } }), {
    expose: ['light.*'],
    hide: [],
    clients: {},
  });
});

test('exposure patterns: `*` is every entity; many stars match in linear time (fuzz finding)', () => {
  const s = (entity_id: string) => ({ entity_id, attributes: {} });
  // `hide: ['*']` hid nothing: the lone star was a regex for ids without a dot.
  const all = parseExposure({ hide: ['*'], clients: { GUESTPHONE1: { expose: ['*'] } } });
  assert.equal(isExposed(all, s('light.kitchen'), undefined), false);
  assert.equal(isExposed(all, s('lock.front'), 'GUESTPHONE1'), true);
  const f = (p: string) => parseExposure({ hide: [p] });
  for (const [p, id, hit] of [
    ['light.*', 'light.kitchen', true],
    ['*.kitchen_*', 'light.kitchen_main', true],
    ['*.kitchen_*', 'light.kitchen', false],
    ['l*t.k*n', 'light.kitchen', true],
    ['light.*', 'light.kitchen.extra', false],
    ['light.*', 'light.Kitchen', false],
    ['*.*', 'light.', true],
  ] as const)
    assert.equal(isExposed(f(p), s(id), undefined), !hit, `${p} on ${id}`);
  // test/fuzz/corpus/exposure-file/regress-many-stars: the regex backtracked for > 10 s.
  const stars = parseExposure({
    hide: [`sensor.out${'*'.repeat(80)}side_t*`, `*${'_*'.repeat(90)}x`],
  });
  const t0 = performance.now();
  assert.equal(isExposed(stars, s('sensor.outside_temperature'), undefined), false);
  assert.equal(isExposed(stars, s(`sensor.out${'_'.repeat(150)}side_q`), undefined), true);
  assert.equal(isExposed(stars, s(`sensor.${'_'.repeat(200)}`), undefined), true);
  assert.equal(isExposed(stars, s('sensor.outside_t'), undefined), false);
  assert.ok(performance.now() - t0 < 1000, 'matched in well under a second');
});

test('areas: the entity own area, else its device area', () => {
  const reg = {
    areas: parseAreas([{ area_id: 'k', name: 'Kitchen' }, { area_id: 'b', name: 'Bedroom' }, 7]),
    deviceArea: parseDevices([{ id: 'd1', area_id: 'k' }, { id: 'd2' }, null]),
    entity: parseEntityRegistry([
      { entity_id: 'light.a', area_id: 'b', device_id: 'd1' },
      { entity_id: 'light.b', area_id: null, device_id: 'd1' },
      { entity_id: 'light.c', device_id: 'd2' },
      'junk',
    ]),
  };
  assert.equal(areaOf(reg, 'light.a'), 'Bedroom');
  assert.equal(areaOf(reg, 'light.b'), 'Kitchen');
  assert.equal(areaOf(reg, 'light.c'), undefined);
});

/** A small seeded generator (xorshift32), so a failing run replays exactly. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  return { next, int, pick };
}

const DOMAINS = [
  'light',
  'switch',
  'lock',
  'cover',
  'climate',
  'fan',
  'sensor',
  'weather',
  'zz_new_thing',
  'x',
];
const KEYS = [
  'brightness',
  'color_temp_kelvin',
  'rgb_color',
  'friendly_name',
  'device_class',
  '__proto__',
  'constructor',
  'hvac_modes',
  'k'.repeat(70),
  'current_position',
  'supported_color_modes',
];

function hostileValue(r: ReturnType<typeof rng>, depth = 0): unknown {
  switch (r.int(12)) {
    case 0:
      return null;
    case 1:
      return r.next() * 1e12 - 5e11;
    case 2:
      return 'é'.repeat(r.int(20) === 0 ? 100_000 : r.int(50));
    case 3:
      return r.int(2) === 0;
    case 4:
      return Array.from({ length: r.int(20) === 0 ? 5000 : r.int(5) }, () => r.int(300));
    case 5:
      return depth < 3 ? { nested: hostileValue(r, depth + 1) } : {};
    case 6:
      return [1, 'a', { x: 1 }];
    case 7:
      return NaN;
    case 8:
      return Infinity;
    case 9:
      return undefined;
    case 10:
      return -1;
    default:
      return 'on';
  }
}

function hostileId(r: ReturnType<typeof rng>): unknown {
  switch (r.int(8)) {
    case 0:
      return 42;
    case 1:
      return 'no_dot';
    case 2:
      return `${r.pick(DOMAINS)}.${'o'.repeat(300)}`;
    case 3:
      return 'Light.UPPER';
    default:
      return `${r.pick(DOMAINS)}.e${r.int(40)}`;
  }
}

function hostileAttrs(r: ReturnType<typeof rng>): unknown {
  if (r.int(10) === 0) return r.pick([null, 'attrs', [1, 2], 5]);
  const a: Record<string, unknown> = {};
  const n = r.int(20) === 0 ? 500 : r.int(8);
  for (let i = 0; i < n; i++) a[i < KEYS.length ? r.pick(KEYS) : `k${i}`] = hostileValue(r);
  return a;
}

function hostileMessage(r: ReturnType<typeof rng>): unknown {
  switch (r.int(10)) {
    case 0:
      return r.pick([null, 'text', 7, [], [{ a: {} }]]);
    case 1: {
      if (r.int(100) !== 0) return { a: { [`sensor.e${r.int(40)}`]: { s: 'on' } } };
      // a flood of adds (rarely: the store's bound is what it tests)
      const a: Record<string, unknown> = {};
      for (let i = 0; i < 3000; i++) a[`sensor.flood_${r.int(1e9)}`] = { s: 'x', a: {}, lc: 1 };
      return { a };
    }
    case 2:
      return { r: r.pick([['light.e1', 5, null], 'light.e2', [hostileId(r)]]) };
    case 3:
    case 4: {
      const c: Record<string, unknown> = {};
      for (let i = 0; i < 1 + r.int(4); i++) {
        c[String(hostileId(r))] = r.pick([
          { '+': { s: hostileValue(r), a: hostileAttrs(r), lc: hostileValue(r) } },
          { '-': { a: r.pick([['brightness'], 'brightness', [5, null]]) } },
          { '+': null, '-': 5 },
          'junk',
        ]);
      }
      return { c };
    }
    default: {
      const a: Record<string, unknown> = {};
      for (let i = 0; i < 1 + r.int(5); i++) {
        a[String(hostileId(r))] = r.pick([
          { s: hostileValue(r), a: hostileAttrs(r), lc: hostileValue(r), lu: hostileValue(r) },
          { a: hostileAttrs(r) },
          { s: 'on' },
          null,
          'x',
        ]);
      }
      return { a, ...(r.int(5) === 0 ? { r: 'not-a-list', c: 5 } : {}) };
    }
  }
}

test('10,000 hostile or odd HA messages: no crash, bounded store, every state fits a message', () => {
  const r = rng(20);
  const store = new Map<string, HaEntity>();
  let states = 0;
  for (let i = 0; i < 10_000; i++) {
    const changed = applyEntitiesEvent(store, hostileMessage(r));
    assert.ok(store.size <= MAX_HA_ENTITIES);
    if (store.size >= MAX_HA_ENTITIES) store.clear(); // full: start over, so adds keep landing
    for (const id of changed.slice(0, 20)) {
      const e = store.get(id);
      if (!e) continue;
      assert.ok(Object.keys(e.attributes).length <= 64);
      const s = toEntityState(e, r.int(2) ? 'Kitchen' : undefined, r.int(2) === 0);
      for (const v of [1, 2] as const) {
        const fitted = fitState(s, v);
        const bytes = encodeRpc({ t: 'evt', seq: 2 ** 31 - 1, s: fitted });
        assert.ok(bytes.length <= MAX_RPC);
        const back = decodeRpc(bytes); // the new client's decoder
        assert.ok(back?.t === 'evt' && 's' in back && back.s.entity_id === id);
        if (v === 1 && isV1EntityId(id)) parseEntityState(fitted); // the older client's decoder
      }
      states++;
    }
  }
  assert.ok(states > 1000, `only ${states} states exercised`);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
