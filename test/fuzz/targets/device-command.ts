// Device commands and states from the network (src/devices/model.ts): parseCommand (the web app's
// POST body, the RPC server's `call`), parseEntityState (states arriving over RPC), checkSupported.
// Input: first byte picks the parser, the rest is JSON. DeviceError only; what is accepted parses
// the same when sent again.
import {
  checkSupported,
  DeviceError,
  parseCommand,
  parseEntityState,
} from '../../../src/devices/model.js';
import { check, decodes, sameJson, type FuzzTarget } from '../target.js';

function json(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    return undefined;
  }
}

const seed = (i: number, v: unknown): Uint8Array =>
  Buffer.concat([Buffer.from([i]), Buffer.from(JSON.stringify(v))]);

export const target: FuzzTarget = {
  name: 'device-command',
  about: 'src/devices/model.ts parseCommand, parseEntityState, checkSupported (network JSON)',
  sources: ['src/devices/model.ts'],
  maxLen: 2048,
  seeds: () => [
    seed(0, { service: 'turn_on', brightness: 128, color_temp: 300 }),
    seed(0, { service: 'set_temperature', temperature: 21.5 }),
    seed(0, { service: 'lock' }),
    seed(1, {
      entity_id: 'climate.living',
      state: 'heat',
      attributes: { temperature: 21, current_temperature: 19.5, friendly_name: 'Living' },
      last_changed: '2026-12-03T10:00:00.000Z',
    }),
  ],
  fuzz(data) {
    const v = json(data.subarray(1));
    if ((data[0] ?? 0) % 2 === 0) {
      const c = decodes(() => parseCommand(v), DeviceError);
      if (!c) return;
      sameJson(parseCommand(JSON.parse(JSON.stringify(c))), c, 'command');
      for (const e of ['light.a', 'climate.b', 'sensor.c', 'lock.d', 'cover.e'])
        decodes(() => checkSupported(e, c), DeviceError);
      return;
    }
    const s = decodes(() => parseEntityState(v), DeviceError);
    if (!s) return;
    check(s.state.length <= 64 && Object.keys(s.attributes).length <= 32, 'state bounds');
    sameJson(parseEntityState(JSON.parse(JSON.stringify(s))), s, 'entity state');
  },
};
