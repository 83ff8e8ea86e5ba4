import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKeyPair } from 'noise-handshake/dh.js';
import { secureClient, secureServer } from '../../src/secure/noise-channel.js';
import { channelPair, FakeClock, flipBits, SeqRandom } from '../support/fakes.js';

function setup(
  opts: { tap?: Parameters<typeof channelPair>[1]; authorize?: boolean; wrongHome?: boolean } = {},
) {
  const clock = new FakeClock();
  const home = generateKeyPair();
  const client = generateKeyPair();
  const [a, b] = channelPair(clock, opts.tap);
  const server = secureServer(b, {
    staticKeys: home,
    authorize: (rs) =>
      opts.authorize === false || !Buffer.from(rs).equals(Buffer.from(client.publicKey))
        ? { ok: false, reason: 'not paired' }
        : { ok: true },
  });
  const cli = secureClient(a, {
    staticKeys: client,
    remoteStatic: opts.wrongHome ? generateKeyPair().publicKey : home.publicKey,
    clock,
  });
  const got: { client: string[]; server: string[] } = { client: [], server: [] };
  cli.onMessage((d) => got.client.push(Buffer.from(d).toString()));
  server.onMessage((d) => got.server.push(Buffer.from(d).toString()));
  const errors: string[] = [];
  cli.onError((e) => errors.push(e.message));
  return { clock, cli, server, got, errors };
}

test('IK handshake, then encrypted messages both ways', () => {
  const s = setup();
  s.clock.advance(10);
  assert.ok(s.cli.ready && s.server.ready);
  s.cli.send(Buffer.from('turn on the light'));
  s.server.send(Buffer.from('done'));
  s.clock.advance(10);
  assert.deepEqual(s.got, { server: ['turn on the light'], client: ['done'] });
});

test('nothing of the payload travels in clear', () => {
  const frames: Uint8Array[] = [];
  const s = setup({ tap: (f) => (frames.push(f), f) });
  s.clock.advance(10);
  s.cli.send(Buffer.from('SECRET-DOOR-CODE-1234'));
  s.clock.advance(10);
  assert.equal(s.got.server[0], 'SECRET-DOOR-CODE-1234');
  assert.ok(frames.every((f) => !Buffer.from(f).includes('SECRET-DOOR')));
});

test('replayed and tampered frames are dropped', () => {
  let last: Uint8Array | undefined;
  const s = setup({ tap: (f, dir) => (dir === 'ab' ? (last = f) : f) });
  s.clock.advance(10);
  s.cli.send(Buffer.from('toggle'));
  s.clock.advance(10);
  assert.equal(s.got.server.length, 1);
  // Push the captured frame again through the client's transport, then a bit-flipped copy.
  const wire = (s.cli as unknown as { transport: { send(d: Uint8Array): void } }).transport;
  const copy = new Uint8Array(last!);
  wire.send(copy);
  const flipped = new Uint8Array(copy);
  flipBits(new SeqRandom(3), flipped.subarray(1), 1);
  wire.send(flipped);
  s.clock.advance(10);
  assert.deepEqual(s.got.server, ['toggle']);
});

test('an unauthorized client is refused with a reason and gets no channel', () => {
  const s = setup({ authorize: false });
  s.clock.advance(10);
  assert.equal(s.server.ready, false);
  assert.match(s.errors[0] ?? '', /refused: not paired/);
});

test('a client that expects another home key never completes and says so', () => {
  const s = setup({ wrongHome: true });
  s.clock.advance(20_000);
  assert.equal(s.cli.ready, false);
  assert.equal(s.server.ready, false);
  assert.match(s.errors[0] ?? '', /did not answer/);
});

test('lost handshake messages are retransmitted; a duplicate message 1 gets the same answer', () => {
  let dropped = 0;
  const s = setup({ tap: (f) => (f[0] === 1 && dropped++ < 2 ? undefined : f) });
  s.clock.advance(5000);
  assert.ok(s.cli.ready && s.server.ready);
});

test('100,000 random, truncated and flipped frames: no crash, the channel still works', () => {
  const frames: Uint8Array[] = [];
  const s = setup({ tap: (f) => (frames.push(f), f) });
  s.clock.advance(10);
  s.cli.send(Buffer.from('one'));
  s.clock.advance(10);
  const rng = new SeqRandom(11);
  const wire = (s.cli as unknown as { transport: { send(d: Uint8Array): void } }).transport;
  for (let i = 0; i < 100_000; i++) {
    let f: Uint8Array;
    if (i % 3 === 0) f = rng.bytes(rng.int(200));
    else {
      f = new Uint8Array(frames[rng.int(frames.length)]!);
      if (i % 3 === 1) f = f.subarray(0, rng.int(f.length));
      else flipBits(rng, f, 1 + rng.int(3));
    }
    if (i % 2 === 0 && f.length > 0) f[0] = 1 + rng.int(4);
    wire.send(f);
    if (i % 1000 === 0) s.clock.advance(2);
  }
  s.clock.advance(10);
  s.cli.send(Buffer.from('two'));
  s.clock.advance(10);
  assert.deepEqual(s.got.server.slice(-1), ['two']);
  assert.equal(
    s.got.server.filter((m) => m === 'one').length,
    1,
    'a replayed frame was accepted twice',
  );
});
