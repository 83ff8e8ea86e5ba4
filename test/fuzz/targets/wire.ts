// The datagram codec (src/wire): every message family — core, candidates, relay — with the NAT
// extension and zero padding. decode() promises never to throw; whatever it accepts must encode
// back to the same bytes (canonical) and decode to the same value.
import { ErrorCode } from '../../../src/wire/error-code.js';
import { decode, encode, type Message } from '../../../src/wire/messages.js';
import { RelayCloseCode } from '../../../src/wire/relay-messages.js';
import { check, decodes, sameValue, type FuzzTarget } from '../target.js';

const a4 = { ip: '203.0.113.7', port: 40001 };
const a6 = { ip: '2001:db8::1', port: 7 };
const mapped6 = { ip: '::ffff:198.51.100.9', port: 9 };
const session = '0123456789abcdef';
const auth = new Uint8Array(64).fill(5);
const nat = { mapping: 1, filtering: 2, allocation: 3, delta: -2 };

/** One of every message type (the capture in record-seeds.ts adds real traffic). */
export const SAMPLES: Message[] = [
  { type: 'register', tx: 1, homeId: 'home-1', locals: [a4, a6], auth, nat },
  { type: 'registered', tx: 2, observed: a4, ttlMs: 90000 },
  { type: 'keepalive', tx: 3, homeId: 'h' },
  { type: 'keepaliveAck', tx: 0xffffffff, observed: a6 },
  { type: 'assist', mode: 'patent', tx: 4, homeId: 'h.x_y-z', session, auth, nat },
  { type: 'assistAck', tx: 5, session, observed: mapped6 },
  { type: 'peerInfo', mode: 'patent', tx: 6, session, client: a6, auth },
  { type: 'sprayDone', tx: 7, session, sprayed: 501 },
  { type: 'sprayDoneAck', tx: 8, session },
  { type: 'ready', mode: 'patent', tx: 9, session, home: a4, locals: [a6] },
  { type: 'addrQuery', tx: 10, homeId: 'h' },
  { type: 'addrReply', tx: 11, homeId: 'h', home: a4 },
  { type: 'probe', tx: 12, homeId: 'h', session },
  { type: 'probeReply', tx: 13, session },
  { type: 'punch', session },
  { type: 'data', payload: new Uint8Array(40).fill(7) },
  { type: 'error', tx: 14, code: ErrorCode.UnknownHome, message: 'home h is not registered' },
  { type: 'hopProbe', tx: 15, ttl: 3 },
  { type: 'hopReply', tx: 16, ttl: 255 },
  { type: 'observe', tx: 17 },
  { type: 'observed', tx: 18, addr: a6 },
  { type: 'refuse', tx: 19, session, code: ErrorCode.Unauthorized, message: 'not paired' },
  { type: 'candidates', tx: 20, homeId: 'h', list: [{ kind: 'mapped', addr: a4 }] },
  {
    type: 'candidatesQuery',
    tx: 21,
    homeId: 'h',
    session,
    list: [{ kind: 'ipv6', addr: a6 }],
    auth,
  },
  { type: 'peerCandidates', tx: 22, session, list: [] },
  { type: 'mapCheck', tx: 23, homeId: 'h', external: a4, nonce: 'a1b2c3d4e5f60718' },
  { type: 'mapNonce', nonce: 'a1b2c3d4e5f60718' },
  { type: 'relayOpen', tx: 24, homeId: 'ph-abc', session, auth, early: new Uint8Array(32) },
  { type: 'relayOffer', tx: 25, session, client: a4, auth, early: new Uint8Array(0) },
  { type: 'relayAccept', tx: 26, session },
  { type: 'relayRefuse', tx: 27, session, message: 'this client is not paired' },
  { type: 'relayReady', tx: 28, session },
  { type: 'relayClosed', session, code: RelayCloseCode.ByteCap, message: 'over 4194304 bytes' },
  { type: 'relayData', session, payload: new Uint8Array(16).fill(3) },
  { type: 'relayRedirect', tx: 29, session, relay: a4, tcpPort: 443, wsPort: 0 },
  { type: 'relayNode', tx: 30, relay: { ip: '198.51.100.7', port: 7410 } },
];

export const target: FuzzTarget = {
  name: 'wire',
  about: 'src/wire decode(): every message family (core, candidates, relay), addresses, NAT ext',
  sources: [
    'src/wire/messages.ts',
    'src/wire/core-messages.ts',
    'src/wire/candidates.ts',
    'src/wire/relay-messages.ts',
    'src/wire/codec.ts',
  ],
  maxLen: 1300,
  seeds: () => SAMPLES.map((m) => encode(m)),
  fuzz(data) {
    const r = decodes(() => decode(data));
    if (!r?.ok) return;
    const bytes = decodes(() => encode(r.msg));
    check(bytes, `${r.msg.type} decoded but does not encode`);
    const again = decode(bytes);
    check(again.ok, `${r.msg.type} re-encoded does not decode`);
    sameValue(again.msg, r.msg, r.msg.type);
    // Canonical: the accepted bytes are the encoding plus zero padding, nothing else.
    check(
      Buffer.from(data.subarray(0, bytes.length)).equals(bytes) &&
        data.subarray(bytes.length).every((b) => b === 0),
      `${r.msg.type}: two encodings decode to the same message`,
    );
  },
};
