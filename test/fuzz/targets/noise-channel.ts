// The secure channel's frames (src/secure/noise-channel.ts) against a live session: one client
// and one home completed a real Noise IK handshake when this module loaded; every execution feeds
// the input's frames to either side. Forged frames must be dropped — no delivery, no error, no
// exception — and the session must still carry a real message both ways afterwards.
// Input: records of [flags, length, bytes]; flags bit 0 = to the client (else to the home).
import type { MessageChannel } from '../../../src/net/channel.js';
import { generateIdentity } from '../../../src/secure/keys.js';
import {
  secureClient,
  secureServer,
  type SecureChannel,
} from '../../../src/secure/noise-channel.js';
import { FakeClock } from '../../support/fakes.js';
import { check, violated, type FuzzTarget } from '../target.js';

interface End extends MessageChannel {
  inbound(frame: Uint8Array): void;
}

const queue: Array<() => void> = [];
/** Frames as the two ends sent them (the seeds: real handshake and data frames). */
const captured: Array<{ toClient: boolean; frame: Uint8Array }> = [];

function end(toClient: boolean, peer: () => End): End {
  const cbs: Array<(d: Uint8Array) => void> = [];
  return {
    send: (d) => {
      captured.push({ toClient: !toClient, frame: new Uint8Array(d) });
      queue.push(() => peer().inbound(d));
    },
    onMessage: (cb) => void cbs.push(cb),
    close: () => {},
    inbound: (d) => cbs.forEach((cb) => cb(d)),
  };
}

function pump(): void {
  for (let n = 0; queue.length > 0; n++) {
    if (n > 1000) violated('the two ends keep answering each other');
    (queue.shift() as () => void)();
  }
}

const home = generateIdentity();
const phone = generateIdentity();
const clock = new FakeClock();
// eslint-disable-next-line prefer-const -- the two ends refer to each other
let clientEnd: End;
const homeEnd: End = end(false, () => clientEnd);
clientEnd = end(true, () => homeEnd);

const server = secureServer(homeEnd, {
  staticKeys: { publicKey: home.dhPublic, secretKey: home.dhSecret },
  authorize: (rs) =>
    Buffer.from(rs).equals(phone.dhPublic) ? { ok: true } : { ok: false, reason: 'not paired' },
});
const client = secureClient(clientEnd, {
  staticKeys: { publicKey: phone.dhPublic, secretKey: phone.dhSecret },
  remoteStatic: home.dhPublic,
  payload: Buffer.from('proof'),
  clock,
});
pump();
if (!client.ready || !server.ready) throw new Error('noise-channel target: no live session');

const got: { home: Uint8Array[]; client: Uint8Array[]; errors: Error[] } = {
  home: [],
  client: [],
  errors: [],
};
server.onMessage((d) => got.home.push(d));
client.onMessage((d) => got.client.push(d));
server.onError((e) => got.errors.push(e));
client.onError((e) => got.errors.push(e));
// A real exchange for the seeds.
client.send(Buffer.from('hello home'));
server.send(Buffer.from('hello phone'));
pump();
got.home.length = got.client.length = 0;

function record(toClient: boolean, frame: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([toClient ? 1 : 0, frame.length & 0xff]), frame]);
}

function roundTrip(a: SecureChannel, b: Uint8Array[], what: string): void {
  const text = Buffer.from(`still here ${what}`);
  a.send(text);
  pump();
  check(
    b.length === 1 && Buffer.from(b[0] as Uint8Array).equals(text),
    `the session broke (${what})`,
  );
  b.length = 0;
}

export const target: FuzzTarget = {
  name: 'noise-channel',
  about: 'src/secure/noise-channel.ts frames (handshake, data, refused) fed to a live session',
  sources: ['src/secure/noise-channel.ts'],
  maxLen: 4096,
  seeds: () => captured.map((c) => record(c.toClient, c.frame.subarray(0, 255))),
  fuzz(data) {
    for (let off = 0; off + 2 <= data.length;) {
      const toClient = ((data[off] as number) & 1) === 1;
      const len = data[off + 1] as number;
      const frame = data.subarray(off + 2, off + 2 + len);
      off += 2 + len;
      (toClient ? clientEnd : homeEnd).inbound(frame);
      pump();
    }
    if (got.errors.length) violated(`a forged frame raised ${got.errors[0]?.message}`);
    if (got.home.length || got.client.length) violated('a forged frame was delivered');
    roundTrip(client, got.home, 'client → home');
    roundTrip(server, got.client, 'home → client');
  },
};
