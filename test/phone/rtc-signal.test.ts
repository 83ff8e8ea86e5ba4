// The compact WebRTC signal (wire/rtc-signal.ts) and the home's answerer (home/webrtc.ts) without a
// browser: a Chromium-shaped offer compacts and rebuilds; untrusted signals are refused; a real
// node-datachannel offerer opens a data channel to the home's answerer through compact signals
// only; and a home whose native part cannot load says why and answers the page with an error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HomeWebRtc } from '../../src/home/webrtc.js';
import type { Path } from '../../src/net/path.js';
import { parseSignal, sdpFromSignal, signalFromSdp } from '../../src/wire/rtc-signal.js';

const FP = 'AB:'.repeat(31) + 'CD';
const CHROME_OFFER = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=candidate:1 1 udp 2113937151 4b0f5a6e-1c1d-4c1e-9f7a-2a2b2c2d2e2f.local 54400 typ host generation 0 network-cost 999',
  'a=candidate:2 1 udp 1677729535 198.51.100.7 40001 typ srflx raddr 0.0.0.0 rport 0 generation 0',
  'a=candidate:3 1 tcp 1518280447 192.0.2.2 9 typ host tcptype active generation 0',
  'a=ice-ufrag:Ab3d',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=ice-options:trickle',
  `a=fingerprint:sha-256 ${FP}`,
  'a=setup:actpass',
  'a=mid:0',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
  '',
].join('\r\n');

const log = { debug() {}, info() {}, warn() {}, error() {} };

test('a Chromium offer compacts to ufrag, pwd, fingerprint, setup and UDP candidates', () => {
  const s = signalFromSdp(CHROME_OFFER);
  assert.ok(s);
  assert.deepEqual(s, {
    u: 'Ab3d',
    p: 'abcdefghijklmnopqrstuvwx',
    f: 'ab'.repeat(31) + 'cd',
    s: 'actpass',
    c: [
      'host 4b0f5a6e-1c1d-4c1e-9f7a-2a2b2c2d2e2f.local 54400 2113937151',
      'srflx 198.51.100.7 40001 1677729535',
    ],
  });
  assert.ok(JSON.stringify(s).length < 300, 'compact: one RPC message with room to spare');
  const again = signalFromSdp(sdpFromSignal(s));
  assert.deepEqual(again, s);
  assert.match(sdpFromSignal(s), new RegExp(`a=fingerprint:sha-256 ${FP}\r\n`));
});

test('untrusted signals are refused', () => {
  const good = signalFromSdp(CHROME_OFFER)!;
  assert.ok(parseSignal(good));
  for (const bad of [
    { ...good, u: 'x' },
    { ...good, u: 'a\r\nb=cd' },
    { ...good, p: 'short' },
    { ...good, f: 'AB'.repeat(32) },
    { ...good, s: 'holdconn' },
    { ...good, c: ['host 1.2.3.4 0 1'] },
    { ...good, c: ['host 1.2.3.4\r\na=x 5 1'] },
    { ...good, c: Array(9).fill('host 1.2.3.4 5 1') },
    null,
    'x',
  ])
    assert.equal(parseSignal(bad), undefined, JSON.stringify(bad));
});

test('a node-datachannel offerer reaches the home answerer through compact signals only', async (t) => {
  let onData: (d: Uint8Array) => void = () => {};
  const got = new Promise<Uint8Array>((resolve) => (onData = resolve));
  const home = new HomeWebRtc(
    log,
    { stun: [] },
    () => [],
    (p: Path) => {
      assert.equal(p.kind, 'datachannel');
      p.onMessage(onData);
    },
  );
  t.after(() => home.close());
  assert.deepEqual(await home.handle({}), { ice: [] });
  assert.equal(home.status, 'ready');
  const ndc = await import('node-datachannel');
  const pc = new ndc.PeerConnection('phone', { iceServers: [] });
  t.after(() => pc.close());
  const dc = pc.createDataChannel('porthole');
  pc.setLocalDescription();
  const offer = await new Promise<string>((resolve) => {
    const poll = setInterval(() => {
      if (pc.gatheringState() !== 'complete') return;
      clearInterval(poll);
      resolve(pc.localDescription()!.sdp);
    }, 25);
  });
  const sig = signalFromSdp(offer);
  assert.ok(sig);
  const r = (await home.handle({ o: sig })) as { a: unknown };
  const answer = parseSignal(r.a);
  assert.ok(answer && answer.s !== 'actpass');
  dc.onOpen(() => dc.sendMessageBinary(new Uint8Array([3, 1, 2, 3])));
  pc.setRemoteDescription(sdpFromSignal(answer), 'answer');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no data channel in 10 s')), 10_000);
  });
  assert.deepEqual([...(await Promise.race([got, timeout]))], [3, 1, 2, 3]);
  clearTimeout(timer);
  dc.close();
});

test('a home whose native WebRTC part cannot load stays relayed and says why', async () => {
  let status = '';
  const home = new HomeWebRtc(
    log,
    {},
    () => ['127.0.0.1:7400'],
    () => {},
    () => (status = home.status),
    () => Promise.reject(new Error('libdatachannel.so: cannot open shared object file')),
  );
  await assert.rejects(home.handle({}), /webrtc unavailable: libdatachannel\.so/);
  assert.equal(status, 'unavailable: libdatachannel.so: cannot open shared object file');
  const off = new HomeWebRtc(
    log,
    { enabled: false },
    () => [],
    () => {},
  );
  assert.equal(off.status, 'off');
  await assert.rejects(off.handle({}), /webrtc off/);
});
