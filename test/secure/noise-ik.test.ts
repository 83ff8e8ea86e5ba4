// Golden cross-tests (issue 18): the platform-neutral Noise IK on @noble (what the phone's page
// runs) against noise-handshake (what the home runs), byte for byte and both ways. The browser
// half of the pair is test/phone/phone.test.ts (the same module, bundled, inside Chromium).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Noise, { type KeyPair } from 'noise-handshake';
import { generateKeyPair } from 'noise-handshake/dh.js';
import { initiatorChannel, PROLOGUE } from '../../src/secure/noise-frames.js';
import { nobleIkInitiator, nobleIkResponder, x25519KeyPair } from '../../src/secure/noise-ik.js';
import { secureClient, secureServer } from '../../src/secure/noise-channel.js';
import { channelPair, FakeClock } from '../support/fakes.js';

const fixed = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const text = (d: Uint8Array): string => Buffer.from(d).toString();

test('message 1 and 2 are byte-identical to noise-handshake for the same keys', () => {
  const client = x25519KeyPair(fixed(1));
  const home = x25519KeyPair(fixed(2));
  const ce = x25519KeyPair(fixed(3));
  const he = x25519KeyPair(fixed(4));
  const payload = new TextEncoder().encode('pairing proof bytes');

  const ref = new Noise('IK', true, {
    publicKey: Buffer.from(client.publicKey),
    secretKey: Buffer.from(client.secretKey),
  });
  ref.initialise(Buffer.from(PROLOGUE), Buffer.from(home.publicKey));
  (ref as unknown as { e: KeyPair }).e = {
    publicKey: Buffer.from(ce.publicKey),
    secretKey: Buffer.from(ce.secretKey),
  };
  const refMsg1 = new Uint8Array(ref.send(Buffer.from(payload)));

  const mine = nobleIkInitiator(client, home.publicKey, PROLOGUE, ce);
  const msg1 = mine.writeMessage1(payload);
  assert.deepEqual(msg1, refMsg1);

  const resp = nobleIkResponder(home, PROLOGUE, msg1, he);
  assert.deepEqual(resp.rs, client.publicKey);
  assert.deepEqual(resp.payload, payload);
  const [msg2, homeKeys] = resp.reply(new Uint8Array(0));
  ref.recv(Buffer.from(msg2)); // noise-handshake accepts the neutral responder's message 2
  const keys = mine.readMessage2(msg2);
  // Transport keys agree: what each side seals, the other opens.
  const ad = new Uint8Array([3, 0, 0, 0, 7]);
  const ct = keys.send.seal(7, ad, payload);
  assert.deepEqual(homeKeys.recv.open(7, ad, ct), payload);
  assert.deepEqual(new Uint8Array(ref.tx as Uint8Array).length, 32);
  console.log(
    `# msg1 ${msg1.length} bytes, msg2 ${msg2.length} bytes: identical to noise-handshake`,
  );
});

test('neutral initiator ⇄ Node responder (secureServer): handshake, frames both ways', () => {
  const clock = new FakeClock();
  const home = generateKeyPair();
  const me = x25519KeyPair();
  const [a, b] = channelPair(clock);
  let seen: Uint8Array | undefined;
  const server = secureServer(b, {
    staticKeys: home,
    authorize: (rs, p) => (
      (seen = new Uint8Array(rs)),
      p.length === 3 ? { ok: true } : { ok: false, reason: 'x' }
    ),
  });
  const cli = initiatorChannel(a, nobleIkInitiator(me, home.publicKey, PROLOGUE), {
    clock,
    payload: new Uint8Array([1, 2, 3]),
  });
  const got: string[] = [];
  cli.onMessage((d) => got.push(`client:${text(d)}`));
  server.onMessage((d) => got.push(`home:${text(d)}`));
  clock.advance(10);
  assert.ok(cli.ready && server.ready);
  assert.deepEqual(seen, me.publicKey);
  for (let i = 0; i < 3; i++) {
    cli.send(Buffer.from(`on ${i}`));
    server.send(Buffer.from(`ok ${i}`));
  }
  cli.nudge();
  clock.advance(10);
  assert.deepEqual(got.sort(), [
    'client:ok 0',
    'client:ok 1',
    'client:ok 2',
    'home:on 0',
    'home:on 1',
    'home:on 2',
  ]);
});

test('Node initiator (secureClient) ⇄ neutral responder: the other direction', () => {
  const clock = new FakeClock();
  const home = x25519KeyPair();
  const client = generateKeyPair();
  const [a, b] = channelPair(clock);
  let homeKeys: ReturnType<ReturnType<typeof nobleIkResponder>['reply']>[1] | undefined;
  const got: string[] = [];
  b.onMessage((f) => {
    if (f[0] === 1) {
      const r = nobleIkResponder(home, PROLOGUE, f.subarray(1));
      const [msg2, keys] = r.reply(new Uint8Array(0));
      homeKeys = keys;
      b.send(Buffer.concat([Buffer.from([2]), msg2]));
    } else if (f[0] === 3 && homeKeys) {
      const n = Buffer.from(f).readUInt32BE(1);
      got.push(text(homeKeys.recv.open(n, f.subarray(0, 5), f.subarray(5))));
      const hdr = new Uint8Array([3, 0, 0, 0, 0]);
      b.send(Buffer.concat([hdr, homeKeys.send.seal(0, hdr, Buffer.from('pong'))]));
    }
  });
  const cli = secureClient(a, { staticKeys: client, remoteStatic: home.publicKey, clock });
  cli.onMessage((d) => got.push(text(d)));
  clock.advance(10);
  assert.ok(cli.ready);
  cli.send(Buffer.from('ping'));
  clock.advance(10);
  assert.deepEqual(got, ['ping', 'pong']);
});

test('the neutral initiator refuses a home that does not hold the paired key', () => {
  const clock = new FakeClock();
  const home = generateKeyPair();
  const [a, b] = channelPair(clock);
  secureServer(b, { staticKeys: home, authorize: () => ({ ok: true }) });
  const errors: string[] = [];
  const cli = initiatorChannel(
    a,
    nobleIkInitiator(x25519KeyPair(), x25519KeyPair().publicKey, PROLOGUE),
    { clock, maxSends: 2 },
  );
  cli.onError((e) => errors.push(e.message));
  clock.advance(5000);
  assert.equal(cli.ready, false);
  assert.ok(errors.length > 0);
});
