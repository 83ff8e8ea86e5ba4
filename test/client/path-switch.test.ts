// The path switch (issue 10): a Noise session moves from one path to another (relayed →
// punched) with no new handshake and no frame lost or duplicated; the old path's stragglers are
// still delivered during the overlap; a dead current path is reported.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKeyPair } from 'noise-handshake/dh.js';
import type { Path, PathKind } from '../../src/net/path.js';
import { PathSwitch } from '../../src/client/path-switch.js';
import { secureClient, secureServer } from '../../src/secure/noise-channel.js';
import { channelPair, FakeClock, type MessageChannelLike } from '../support/fakes.js';

function asPath(ch: MessageChannelLike, kind: PathKind): Path & { kill(why: string): void } {
  const closeCbs: ((r: string) => void)[] = [];
  let open = true;
  const end = (why: string): void => {
    if (!open) return;
    open = false;
    closeCbs.splice(0).forEach((cb) => cb(why));
  };
  return {
    kind,
    maxPayload: 1024,
    remote: kind,
    send: (d) => open && ch.send(d),
    onMessage: (cb) => ch.onMessage((d) => open && cb(d)),
    onClose: (cb) => void closeCbs.push(cb),
    close: () => end('closed'),
    kill: end,
  };
}

test('switching paths mid-stream keeps the Noise session: every frame once, in order', () => {
  const clock = new FakeClock();
  const [ra, rb] = channelPair(clock); // relayed
  const [pa, pb] = channelPair(clock); // punched
  const [relayC, relayH, punchC, punchH] = [
    asPath(ra, 'relayed'),
    asPath(rb, 'relayed'),
    asPath(pa, 'punched'),
    asPath(pb, 'punched'),
  ];
  const home = generateKeyPair();
  const client = generateKeyPair();
  const cSwitch = new PathSwitch(relayC);
  const hSwitch = new PathSwitch(relayH);
  const server = secureServer(hSwitch, { staticKeys: home, authorize: () => ({ ok: true }) });
  const cli = secureClient(cSwitch, { staticKeys: client, remoteStatic: home.publicKey, clock });
  const got: number[] = [];
  server.onMessage((d) => got.push(Number(Buffer.from(d).toString())));
  const changes: string[] = [];
  cSwitch.onChange((c) => changes.push(`${c.kind}:${c.reason}`));
  clock.advance(10);
  assert.ok(cli.ready && server.ready);

  for (let i = 0; i < 200; i++) {
    cli.send(Buffer.from(String(i)));
    if (i === 100) {
      // In flight on the relay: frames 100 (and the tick's others) arrive after the switch.
      cSwitch.switchTo(punchC, 'upgrade');
      hSwitch.switchTo(punchH, 'upgrade');
    }
    if (i % 3 === 0) clock.advance(1);
  }
  clock.advance(10);
  cSwitch.dropPrevious();
  hSwitch.dropPrevious();
  cli.send(Buffer.from('200'));
  clock.advance(10);
  assert.deepEqual(
    got,
    Array.from({ length: 201 }, (_, i) => i),
  );
  assert.deepEqual(changes, ['punched:upgrade']);
  assert.equal(cSwitch.path.kind, 'punched');
});

test('the current path dying is reported once; a previous one dying is not', () => {
  const clock = new FakeClock();
  const [a] = channelPair(clock);
  const [b] = channelPair(clock);
  const relayed = asPath(a, 'relayed');
  const punched = asPath(b, 'punched');
  const sw = new PathSwitch(relayed);
  const lost: string[] = [];
  sw.onLost((p, why) => lost.push(`${p.kind}:${why}`));
  sw.switchTo(punched, 'upgrade');
  relayed.kill('relay gone');
  punched.kill('no answer');
  assert.deepEqual(lost, ['punched:no answer']);
});
