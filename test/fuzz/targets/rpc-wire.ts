// The device RPC messages between client and home (src/devices/rpc-wire.ts): decodeRpc() gives a
// typed message or undefined, never throws; what it accepts encodes back within MAX_RPC and
// decodes to the same message.
import { decodeRpc, encodeRpc, MAX_RPC, type RpcMessage } from '../../../src/devices/rpc-wire.js';
import { check, decodes, sameJson, type FuzzTarget } from '../target.js';

const state = {
  entity_id: 'light.kitchen',
  state: 'on',
  attributes: { brightness: 200, friendly_name: 'Kitchen' },
  last_changed: '2026-12-03T10:00:00.000Z',
};
const samples: RpcMessage[] = [
  { t: 'req', id: 1, m: 'list', p: {} },
  { t: 'req', id: 2, m: 'call', p: { entity: 'light.kitchen', command: { service: 'turn_on' } } },
  { t: 'res', id: 2, ok: true, r: [state] },
  { t: 'res', id: 3, ok: false, e: 'no such entity: light.x' },
  { t: 'evt', seq: 7, s: state },
  { t: 'ack', seq: 7 },
  { t: 'ping', n: 1 },
  { t: 'pong', n: 1, seq: -1, sub: true },
];

export const target: FuzzTarget = {
  name: 'rpc-wire',
  about: 'src/devices/rpc-wire.ts decodeRpc() (device RPC inside the secure channel)',
  sources: ['src/devices/rpc-wire.ts'],
  maxLen: 1100,
  seeds: () => samples.map((m) => encodeRpc(m)),
  fuzz(data) {
    const m = decodes(() => decodeRpc(data));
    if (!m) return;
    // Invalid UTF-8 grows on re-encoding (U+FFFD): the round trip is for well-formed text.
    if (!Buffer.from(data.toString('utf8')).equals(data)) return;
    const bytes = decodes(() => encodeRpc(m));
    check(bytes && bytes.length <= MAX_RPC, `an accepted ${m.t} does not fit one message again`);
    sameJson(decodeRpc(bytes), m, `rpc ${m.t}`);
  },
};
