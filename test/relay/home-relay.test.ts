import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SocketAddr } from '../../src/net/types.js';
import type { Path } from '../../src/net/path.js';
import { HomeRelay } from '../../src/relay/home-relay.js';
import { sameAddr } from '../../src/wire/addr.js';
import type { Message } from '../../src/wire/messages.js';
import { RelayCloseCode } from '../../src/wire/relay-messages.js';

const RELAY: SocketAddr = { ip: '198.51.100.1', port: 7400 };
const OTHER: SocketAddr = { ip: '192.0.2.66', port: 7400 };
const CLIENT: SocketAddr = { ip: '203.0.113.5', port: 5000 };
const offer = (session: string): Message => ({
  type: 'relayOffer',
  tx: 9,
  session,
  client: CLIENT,
  auth: new Uint8Array(8),
  early: new Uint8Array(0),
});

function setup(verdict: (s: string) => boolean = () => true, maxSessions = 64) {
  const sent: Array<{ msg: Message; to: SocketAddr }> = [];
  const paths: Path[] = [];
  let checks = 0;
  const hr = new HomeRelay({
    send: (msg, to) => sent.push({ msg, to }),
    isRelay: (from) => sameAddr(from, RELAY),
    authorize: (o) => (checks++, verdict(o.session) ? { ok: true } : { ok: false, reason: 'no' }),
    onPath: (p) => paths.push(p),
    maxSessions,
  });
  return { hr, sent, paths, checks: () => checks };
}

test('offers: only from the relay; a repeat is answered from the first decision', () => {
  const s = setup((id) => id.startsWith('a'));
  assert.ok(s.hr.handle(offer('aaaaaaaaaaaaaaaa'), OTHER));
  assert.equal(s.sent.length, 0);
  s.hr.handle(offer('aaaaaaaaaaaaaaaa'), RELAY);
  s.hr.handle(offer('aaaaaaaaaaaaaaaa'), RELAY); // the relay re-sent it
  s.hr.handle(offer('bbbbbbbbbbbbbbbb'), RELAY);
  s.hr.handle(offer('bbbbbbbbbbbbbbbb'), RELAY);
  assert.equal(
    s.checks(),
    2,
    'authorized once per session (the replay guard would refuse a repeat)',
  );
  assert.deepEqual(
    s.sent.map((x) => x.msg.type),
    ['relayAccept', 'relayAccept', 'relayRefuse', 'relayRefuse'],
  );
  assert.equal(s.paths.length, 1);
  assert.equal(s.paths[0]?.remote, 'relay udp 198.51.100.1:7400');
  assert.equal(s.hr.stats.dropped, 1);
});

test('frames reach the path only from its relay, keepalives stay out; close both ways', () => {
  const s = setup();
  s.hr.handle(offer('aaaaaaaaaaaaaaaa'), RELAY);
  const got: number[] = [];
  let closed = '';
  s.paths[0]!.onMessage((d) => got.push(d.length));
  s.paths[0]!.onClose((r) => (closed = r));
  const data = (n: number): Message => ({
    type: 'relayData',
    session: 'aaaaaaaaaaaaaaaa',
    payload: new Uint8Array(n),
  });
  s.hr.handle(data(5), RELAY);
  s.hr.handle(data(6), OTHER);
  s.hr.handle(data(0), RELAY);
  assert.deepEqual(got, [5]);
  s.paths[0]!.send(new Uint8Array(3));
  assert.equal(s.sent.at(-1)?.msg.type, 'relayData');
  s.hr.handle(
    {
      type: 'relayClosed',
      session: 'aaaaaaaaaaaaaaaa',
      code: RelayCloseCode.ByteCap,
      message: 'cap',
    },
    RELAY,
  );
  assert.equal(closed, 'cap');
  assert.equal(s.hr.sessions, 0);
  s.paths[0]!.send(new Uint8Array(3));
  assert.equal(s.sent.at(-1)?.msg.type, 'relayData', 'nothing sent after close');
  assert.equal(s.sent.filter((x) => x.msg.type === 'relayData').length, 1);
});

test('past maxSessions the home refuses', () => {
  const s = setup(() => true, 1);
  s.hr.handle(offer('aaaaaaaaaaaaaaaa'), RELAY);
  s.hr.handle(offer('bbbbbbbbbbbbbbbb'), RELAY);
  assert.equal(s.sent.at(-1)?.msg.type, 'relayRefuse');
  assert.equal(s.checks(), 1);
});
