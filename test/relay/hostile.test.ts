// Hostile input at the relay: random bytes, bit-flipped relay messages, spoofed session ids (a
// live session's id from another address), a forger pretending to be the home, relayOpen for
// unknown homes. No crash, nothing forwarded, all counted, no amplification; the live session
// keeps working.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, encode, REQUEST_PAD, type Message } from '../../src/wire/messages.js';
import { RelayCloseCode } from '../../src/wire/relay-messages.js';
import { flipBits, SeqRandom } from '../support/fakes.js';
import { RELAY, relayWorld } from './world.js';

test('fuzz, spoofed sessions, forged home answers, unknown homes: dropped and counted', () => {
  const x = relayWorld({ maxPendingPerIp: 10_000, maxSessions: 20_000 });
  const c = x.connect(x.client());
  assert.ok(c.channel?.ready && c.path);
  const live = c.path.session;
  const homeDataBefore = x.homeRelayData.count;

  const attacker = x.w.site(
    [],
    { publicIp: '192.0.2.66', hostIp: '192.0.2.66', innerIps: [] },
    { delayMs: 5, hops: 1 },
  ).host;
  const ep = attacker.open({ port: 6666 });
  let received = 0;
  ep.onDatagram((d) => {
    received += d.length;
    const r = decode(d);
    assert.ok(!r.ok || r.msg.type === 'relayClosed', 'only refusals come back');
  });
  let sent = 0;
  const send = (b: Uint8Array): void => {
    sent += b.length;
    ep.send(b, RELAY);
  };
  const rng = new SeqRandom(11);
  const sid = (): string => Buffer.from(rng.bytes(8)).toString('hex');
  const valid = (): Message[] => [
    { type: 'relayData', session: live, payload: rng.bytes(1 + rng.int(200)) }, // spoofed id
    { type: 'relayClosed', session: live, code: RelayCloseCode.PeerClosed, message: 'x' },
    { type: 'relayAccept', tx: 1, session: live }, // forged home answer
    { type: 'relayRefuse', tx: 1, session: live, message: 'no' },
    { type: 'relayData', session: sid(), payload: rng.bytes(50) }, // unknown session
    {
      type: 'relayOpen',
      tx: 2,
      homeId: `ph-nobody${rng.int(1000)}`,
      session: sid(),
      auth: rng.bytes(100),
      early: rng.bytes(rng.int(300)),
    },
    {
      type: 'relayOffer',
      tx: 3,
      session: sid(),
      client: RELAY,
      auth: rng.bytes(10),
      early: rng.bytes(rng.int(100)),
    },
    { type: 'relayReady', tx: 4, session: live },
  ];
  for (let i = 0; i < 6000; i++) {
    const kind = i % 3;
    if (kind === 0) send(rng.bytes(1 + rng.int(300)));
    else {
      const msgs = valid();
      const m = msgs[rng.int(msgs.length)] as Message;
      const b = encode(m, m.type === 'relayOpen' ? REQUEST_PAD : 0).slice();
      if (kind === 2) flipBits(rng, b.subarray(4), 1 + rng.int(3));
      send(b);
    }
    if (i % 200 === 0) x.run(20);
  }
  x.run(2000);

  const drops = x.core.stats.drops;
  assert.ok((drops['spoofed-session'] ?? 0) > 500, JSON.stringify(drops));
  assert.ok((drops['wrong-home-address'] ?? 0) > 300, JSON.stringify(drops));
  assert.ok((drops['unknown-session'] ?? 0) > 100, JSON.stringify(drops));
  assert.ok((drops['unknown-home'] ?? 0) > 100, JSON.stringify(drops));
  assert.ok(x.relay.drops.byReason.get('malformed')! > 1000);
  assert.equal(x.homeRelayData.count, homeDataBefore, 'nothing forged reached the home');
  assert.ok(received <= sent, `no amplification: ${received} bytes back for ${sent}`);
  assert.equal(x.core.stats.sessions, 1);

  c.channel.send(Buffer.from('after the storm'));
  x.run(1000, () => c.got.length > 0);
  assert.deepEqual(c.got, ['after the storm']);
  assert.deepEqual(x.appFrames, ['after the storm']);
});
