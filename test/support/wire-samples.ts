// One of every wire message type, the optional trailing extensions both absent and present: the
// one list behind test/wire/trailing.test.ts (which checks it covers every type code the decoder
// knows) and the `wire` fuzz target's seeds (test/fuzz/targets/wire.ts).
import { ErrorCode } from '../../src/wire/error-code.js';
import type { Message } from '../../src/wire/messages.js';
import { RelayCloseCode } from '../../src/wire/relay-messages.js';

const a4 = { ip: '203.0.113.7', port: 40001 };
const a6 = { ip: '2001:db8::1', port: 7 };
const mapped6 = { ip: '::ffff:198.51.100.9', port: 9 };
const session = '0123456789abcdef';
const auth = new Uint8Array([1, 2, 3]);
const auth64 = new Uint8Array(64).fill(5);
const nat = { mapping: 3, filtering: 3, allocation: 2, delta: -2 };

export const WIRE_SAMPLES: readonly Message[] = [
  { type: 'register', tx: 1, homeId: 'home-1', locals: [a4], auth },
  { type: 'register', tx: 1, homeId: 'home-1', locals: [], auth, nat },
  { type: 'register', tx: 1, homeId: 'home-1', locals: [a4, a6], auth: auth64, nat },
  { type: 'registered', tx: 2, observed: a4, ttlMs: 90000 },
  { type: 'keepalive', tx: 3, homeId: 'h' },
  { type: 'keepaliveAck', tx: 0xffffffff, observed: a6 },
  { type: 'assist', mode: 'patent', tx: 4, homeId: 'h', session, auth: new Uint8Array(0) },
  { type: 'assist', mode: 'knock', tx: 4, homeId: 'h', session, auth, nat, tried: 3 },
  {
    type: 'assist',
    mode: 'patent',
    tx: 4,
    homeId: 'h.x_y-z',
    session,
    auth: auth64,
    nat,
    tried: 0,
  },
  { type: 'assistAck', tx: 5, session, observed: a4 },
  { type: 'assistAck', tx: 5, session, observed: mapped6 },
  { type: 'peerInfo', mode: 'patent', tx: 6, session, client: a6, auth },
  { type: 'peerInfo', mode: 'reverse', tx: 6, session, client: a4, auth, clientNat: nat },
  { type: 'sprayDone', tx: 7, session, sprayed: 501 },
  { type: 'sprayDoneAck', tx: 8, session },
  { type: 'ready', mode: 'patent', tx: 9, session, home: a4, locals: [] },
  { type: 'ready', mode: 'predict', tx: 9, session, home: a4, locals: [a6], homeNat: nat },
  { type: 'addrQuery', tx: 10, homeId: 'h' },
  { type: 'addrReply', tx: 11, homeId: 'h', home: a4 },
  { type: 'probe', tx: 12, homeId: 'h', session },
  { type: 'probeReply', tx: 13, session },
  { type: 'punch', session },
  { type: 'data', payload: new Uint8Array(0) },
  { type: 'data', payload: new Uint8Array(40).fill(7) },
  { type: 'data', payload: new Uint8Array(1100).fill(7) },
  { type: 'error', tx: 14, code: ErrorCode.UnknownHome, message: 'home h is not registered' },
  { type: 'hopProbe', tx: 15, ttl: 3 },
  { type: 'hopReply', tx: 16, ttl: 255 },
  { type: 'observe', tx: 17 },
  { type: 'observed', tx: 18, addr: a6 },
  { type: 'refuse', tx: 19, session, code: ErrorCode.Unauthorized, message: 'not paired' },
  {
    type: 'candidates',
    tx: 20,
    homeId: 'h',
    list: [
      { kind: 'mapped', addr: a4 },
      { kind: 'ipv6', addr: { ip: '2001:db8::2', port: 40002 } },
    ],
  },
  { type: 'candidatesQuery', tx: 21, homeId: 'h', session, list: [], auth },
  {
    type: 'candidatesQuery',
    tx: 21,
    homeId: 'h',
    session,
    list: [{ kind: 'ipv6', addr: a6 }],
    auth: auth64,
  },
  { type: 'peerCandidates', tx: 22, session, list: [] },
  { type: 'mapCheck', tx: 23, homeId: 'h', external: a4, nonce: 'a1b2c3d4e5f60718' },
  { type: 'mapNonce', nonce: 'a1b2c3d4e5f60718' },
  { type: 'relayOpen', tx: 24, homeId: 'ph-abc', session, auth, early: new Uint8Array(0) },
  { type: 'relayOpen', tx: 24, homeId: 'ph-abc', session, auth, early: new Uint8Array(9).fill(1) },
  { type: 'relayOffer', tx: 25, session, client: a6, auth, early: new Uint8Array(20).fill(2) },
  { type: 'relayOffer', tx: 25, session, client: a4, auth: auth64, early: new Uint8Array(0) },
  { type: 'relayAccept', tx: 26, session },
  { type: 'relayRefuse', tx: 27, session, message: 'this client is not paired' },
  { type: 'relayReady', tx: 28, session },
  { type: 'relayClosed', session, code: RelayCloseCode.ByteCap, message: 'over 4194304 bytes' },
  { type: 'relayData', session, payload: new Uint8Array(0) },
  { type: 'relayData', session, payload: new Uint8Array(16).fill(3) },
  { type: 'relayData', session, payload: new Uint8Array(1100).fill(3) },
  { type: 'relayRedirect', tx: 29, session, relay: a6, tcpPort: 443, wsPort: 0 },
  { type: 'relayNode', tx: 30, relay: { ip: '198.51.100.7', port: 7410 } },
  { type: 'infoQuery', tx: 31 },
  { type: 'serverInfo', tx: 32, tcpPort: 0, wsUrl: '', appUrl: '' },
  {
    type: 'serverInfo',
    tx: 32,
    tcpPort: 443,
    wsUrl: 'wss://rv.example.net/porthole',
    appUrl: 'https://rv.example.net/',
  },
  { type: 'deregister', tx: 33, homeId: 'ph-abc', auth },
  { type: 'deregistered', tx: 34 },
];
