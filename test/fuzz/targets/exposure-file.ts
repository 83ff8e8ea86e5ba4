// The Home Assistant exposure rules (src/devices/exposure.ts, ha-exposure.json: written by
// `home expose`, possibly edited by hand, re-read by a running home on change), then applied to
// a few entities for every client the file names. Contract: DeviceError only (too large, not
// JSON); the rules it gives decide every entity without throwing.
import { EXPOSURE_FILE, isExposed, readExposure } from '../../../src/devices/exposure.js';
import { DeviceError, type EntityState } from '../../../src/devices/model.js';
import { put } from '../files.js';
import { check, decodes, type FuzzTarget } from '../target.js';

const ENTITIES: Array<Pick<EntityState, 'entity_id' | 'attributes'>> = [
  { entity_id: 'light.kitchen', attributes: {} },
  { entity_id: 'lock.front_door', attributes: {} },
  { entity_id: 'cover.garage', attributes: { device_class: 'garage' } },
  { entity_id: 'sensor.outside_temperature', attributes: { device_class: null } },
];

export const target: FuzzTarget = {
  name: 'exposure-file',
  about: 'src/devices/exposure.ts readExposure (ha-exposure.json) + isExposed',
  sources: ['src/devices/exposure.ts'],
  maxLen: 4096,
  seeds: () => [
    Buffer.from(
      JSON.stringify({
        expose: ['lock.front_door', 'cover.*'],
        hide: ['sensor.*', '*.kitchen_*'],
        clients: {
          abcd2345: { expose: ['sensor.outside_temperature'], hide: [] },
          'Zx-9_q': { expose: [], hide: ['*'] },
        },
      }),
    ),
    Buffer.from(JSON.stringify({ expose: ['*'], hide: [], clients: {} })),
  ],
  fuzz(data) {
    const f = decodes(() => readExposure(put(EXPOSURE_FILE, data)), DeviceError);
    if (!f) return;
    for (const client of [undefined, 'nobody', ...Object.keys(f.clients).slice(0, 4)])
      for (const e of ENTITIES)
        check(typeof decodes(() => isExposed(f, e, client)) === 'boolean', 'isExposed');
  },
};
