// The stream layer's control frames (src/streams/wire.ts, kind 0xF6 inside the live channel:
// open / ok / no / ls / svc), as the mux reads them from the other end. decodeControl never
// throws; what it accepts has a valid stream id and service names, and re-encodes (where it fits
// one frame) to a message that decodes the same.
import {
  CONTROL_FRAME,
  decodeControl,
  encodeControl,
  MAX_CONTROL,
  MAX_STREAM_ID,
  SERVICE_NAME,
  STREAM_KEY,
  type Control,
} from '../../../src/streams/wire.js';
import { check, decodes, sameJson, type FuzzTarget } from '../target.js';

// 32 bytes, base64url (the stream's own key, sent inside the Noise session).
const KEY = Buffer.alloc(32, 7).toString('base64url');

const SAMPLES: Control[] = [
  { t: 'open', s: 1, n: 'ha', k: KEY },
  { t: 'open', s: MAX_STREAM_ID - 1, n: 'nas-web_2', k: KEY },
  { t: 'ok', s: 7 },
  { t: 'open', s: 3, n: 'ssh', k: KEY, d: 1, b: 1 },
  { t: 'ok', s: 5, d: 1, b: 1 },
  { t: 'no', s: 9, e: 'no such service: cam' },
  { t: 'ls', q: 0 },
  { t: 'svc', q: 3, names: ['ha', 'nas-web', 'printer'] },
  { t: 'svc', q: 2 ** 31 - 1, names: [] },
];

export const target: FuzzTarget = {
  name: 'stream-control',
  about: 'src/streams/wire.ts decodeControl (stream control frames 0xF6: open/ok/no/ls/svc)',
  sources: ['src/streams/wire.ts'],
  maxLen: MAX_CONTROL + 16,
  seeds: () => SAMPLES.map((c) => encodeControl(c).subarray(1)),
  fuzz(data) {
    const c = decodes(() => decodeControl(data));
    if (!c) return;
    if ('s' in c) check(Number.isInteger(c.s) && c.s >= 1 && c.s <= MAX_STREAM_ID, 'stream id');
    if (c.t === 'open')
      check(c.s % 2 === 1 && SERVICE_NAME.test(c.n) && STREAM_KEY.test(c.k), 'open');
    if (c.t === 'svc')
      check(c.names.length <= 64 && c.names.every((n) => SERVICE_NAME.test(n)), 'svc');
    let bytes: Uint8Array;
    try {
      bytes = encodeControl(c);
    } catch (e) {
      // A refusal's text is cut to 300 characters, not bytes: escaped, it may outgrow one frame
      // (the home never echoes a received refusal; it only writes its own short ones).
      check(c.t === 'no' && e instanceof RangeError, `${c.t} does not encode: ${String(e)}`);
      return;
    }
    check(bytes[0] === CONTROL_FRAME, 'frame kind');
    sameJson(decodeControl(bytes.subarray(1)), c, c.t);
  },
};
