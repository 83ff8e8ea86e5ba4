// What a rendezvous cluster node reads from Redis (src/rendezvous/cluster/validate.ts): directory
// entries, membership entries and forwarded envelopes (a wire message inside, base64). Each
// parser gives a typed value or null and never throws; accepted values encode back to the same.
// Input: first byte picks the parser, the rest is the Redis string.
import {
  encodeEntry,
  encodeEnvelope,
  encodeNode,
  parseEntry,
  parseEnvelope,
  parseNode,
} from '../../../src/rendezvous/cluster/validate.js';
import { encode } from '../../../src/wire/messages.js';
import { decodes, sameValue, type FuzzTarget } from '../target.js';

const NOW = Date.UTC(2026, 11, 3);
const TTL = 90_000;
const session = '0123456789abcdef';
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const seed = (i: number, v: unknown): Uint8Array =>
  Buffer.concat([Buffer.from([i]), Buffer.from(JSON.stringify(v))]);

export const target: FuzzTarget = {
  name: 'cluster',
  about: 'src/rendezvous/cluster/validate.ts parseEntry/parseNode/parseEnvelope (Redis values)',
  sources: ['src/rendezvous/cluster/validate.ts'],
  maxLen: 4096,
  seeds: () => [
    seed(0, { n: 'node-1', a: '198.51.100.1:7000', x: NOW + 60_000 }),
    seed(1, { n: 'node-2', a: '[2001:db8::2]:7000' }),
    seed(2, {
      v: 1,
      k: 'assist',
      f: 'node-1',
      s: session,
      c: '192.0.2.20:50000',
      z: 128,
      b: b64(
        encode({
          type: 'assist',
          mode: 'patent',
          tx: 4,
          homeId: 'ph-abc',
          session,
          auth: new Uint8Array(8),
        }),
      ),
    }),
    seed(2, {
      v: 1,
      k: 'reply',
      f: 'node-2',
      s: session,
      b: b64(
        encode({ type: 'assistAck', tx: 5, session, observed: { ip: '192.0.2.20', port: 50000 } }),
      ),
    }),
    seed(2, { v: 1, k: 'moved', f: 'node-2', h: 'ph-abc' }),
  ],
  fuzz(data) {
    const text = data.subarray(1).toString('utf8');
    switch ((data[0] ?? 0) % 3) {
      case 0: {
        const e = decodes(() => parseEntry(text, NOW, TTL));
        if (e) sameValue(parseEntry(encodeEntry(e), NOW, TTL), e, 'directory entry');
        return;
      }
      case 1: {
        const n = decodes(() => parseNode(text));
        if (n) sameValue(parseNode(encodeNode(n)), n, 'node entry');
        return;
      }
      default: {
        const e = decodes(() => parseEnvelope(text));
        if (e) sameValue(parseEnvelope(encodeEnvelope(e)), e, `${e.kind} envelope`);
      }
    }
  },
};
