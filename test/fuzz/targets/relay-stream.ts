// The relay's stream fronts (TCP frames and WebSocket binary messages both end in
// StreamClient.receive, src/relay/stream-client.ts) feeding a live RelayCore, with the home's
// UDP side interleaved. Input: records of [flags, length, bytes]: flags bit 7 = the home sent it
// (UDP), bit 6 = a second passes first. Nothing may throw, and everything the relay writes to
// the client or sends over UDP must be a valid datagram within the size limit.
import { RelayCore } from '../../../src/relay/server.js';
import {
  ConnectionGate,
  DEFAULT_STREAM_LIMITS,
  StreamClient,
} from '../../../src/relay/stream-client.js';
import { decode, encode, MAX_DATAGRAM, type Message } from '../../../src/wire/messages.js';
import { fakeEnv } from '../../support/fakes.js';
import { check, decodes, type FuzzTarget } from '../target.js';

const HOME = { ip: '203.0.113.10', port: 7401 };
const CLIENT = { ip: '192.0.2.20', port: 50000 };
const session = '0123456789abcdef';

function valid(bytes: Uint8Array, what: string): void {
  check(bytes.length <= MAX_DATAGRAM, `${what}: ${bytes.length} bytes`);
  const r = decode(bytes);
  check(r.ok, `${what} is not a valid datagram: ${r.ok ? '' : r.error}`);
}

function record(fromHome: boolean, msg: Message): Buffer {
  const b = encode(msg);
  return Buffer.concat([Buffer.from([(fromHome ? 0x80 : 0) | (b.length >> 8), b.length]), b]);
}

export const target: FuzzTarget = {
  name: 'relay-stream',
  about:
    'src/relay StreamClient.receive() (TCP/WebSocket fronts) + RelayCore.onUdp() from the home',
  sources: ['src/relay/stream-client.ts', 'src/relay/server.ts'],
  maxLen: 4096,
  seeds: () => [
    Buffer.concat([
      record(false, {
        type: 'relayOpen',
        tx: 1,
        homeId: 'ph-abc',
        session,
        auth: new Uint8Array(8),
        early: new Uint8Array(4),
      }),
      record(true, { type: 'relayAccept', tx: 1, session }),
      record(false, { type: 'relayData', session, payload: new Uint8Array(20) }),
      record(true, { type: 'relayData', session, payload: new Uint8Array(30) }),
      record(false, { type: 'relayClosed', session, code: 8, message: 'bye' }),
    ]),
  ],
  fuzz(data) {
    const { env, clock } = fakeEnv('198.51.100.1');
    const core = new RelayCore(env, {
      lookupHome: (id) => (id === 'ph-abc' ? HOME : undefined),
      sendUdp: (d) => valid(d, 'a UDP datagram from the relay'),
    });
    const client = new StreamClient(
      'ws',
      CLIENT,
      { write: (b) => valid(b, 'a frame to the client'), buffered: () => 0, destroy: () => {} },
      core,
      DEFAULT_STREAM_LIMITS,
      new ConnectionGate(16),
    );
    try {
      for (let off = 0; off + 2 <= data.length;) {
        const flags = data[off] as number;
        const len = (((flags & 0x07) << 8) | (data[off + 1] as number)) & 0x7ff;
        const bytes = data.subarray(off + 2, off + 2 + len);
        off += 2 + len;
        if (flags & 0x40) clock.advance(1000);
        if (flags & 0x80) {
          const r = decode(bytes);
          if (r.ok) decodes(() => core.onUdp(r.msg, HOME, bytes.length));
        } else decodes(() => client.receive(bytes));
      }
    } finally {
      client.gone();
      core.close();
    }
  },
};
