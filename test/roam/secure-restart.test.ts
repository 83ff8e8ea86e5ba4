// A resumed client comes back on the same address, so its new handshake reaches the home's live
// channel for that address: the same client key replaces the session; another key is ignored.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKeyPair } from 'noise-handshake/dh.js';
import type { MessageChannel } from '../../src/net/channel.js';
import { secureClient, secureServer } from '../../src/secure/noise-channel.js';
import { FakeClock } from '../support/fakes.js';

test('a live channel takes a new handshake from the same key only', () => {
  const clock = new FakeClock();
  const home = generateKeyPair();
  const phone = generateKeyPair();
  const srvCbs: Array<(d: Uint8Array) => void> = [];
  let toClient: (d: Uint8Array) => void = () => {};
  const srv: MessageChannel = {
    send: (d) => void clock.setTimer(1, () => toClient(d)),
    onMessage: (cb) => void srvCbs.push(cb),
    close() {},
  };
  /** One client process on the same address: the home sees every frame on `srv`. */
  const client = (keys: ReturnType<typeof generateKeyPair>) => {
    const cbs: Array<(d: Uint8Array) => void> = [];
    toClient = (d) => cbs.forEach((cb) => cb(d));
    const t: MessageChannel = {
      send: (d) => void clock.setTimer(1, () => srvCbs.forEach((cb) => cb(d))),
      onMessage: (cb) => void cbs.push(cb),
      close() {},
    };
    return secureClient(t, { staticKeys: keys, remoteStatic: home.publicKey, clock });
  };
  const server = secureServer(srv, { staticKeys: home, authorize: () => ({ ok: true }) });
  const got: string[] = [];
  server.onMessage((d) => got.push(Buffer.from(d).toString()));
  const first = client(phone);
  clock.advance(10);
  assert.ok(first.ready && server.ready);
  first.send(Buffer.from('one'));
  clock.advance(10);

  const stranger = client(generateKeyPair());
  clock.advance(5000);
  assert.equal(stranger.ready, false, 'another key must not take over a live channel');

  const again = client(phone);
  clock.advance(10);
  assert.ok(again.ready);
  again.send(Buffer.from('two'));
  clock.advance(10);
  assert.deepEqual(got, ['one', 'two']);
  const back: string[] = [];
  again.onMessage((d) => back.push(Buffer.from(d).toString()));
  server.send(Buffer.from('ok'));
  clock.advance(10);
  assert.deepEqual(back, ['ok']);
});
