// --relay-transport auto (issue 21 item 1): UDP when the rendezvous answers there, else its TCP
// front, else its WebSocket front; a stream that worked on this network is tried first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  pickTransport,
  wsUrlFor,
  type ServerFronts,
  type TransportProbes,
} from '../../src/client/transport-auto.js';
import type { SocketAddr } from '../../src/net/types.js';

const RV = { ip: '198.51.100.1', port: 7400 };
const FRONTS: ServerFronts = { tcpPort: 7400, wsUrl: 'ws://0.0.0.0:443/porthole', appUrl: '' };

function probes(o: { udp?: ServerFronts | 'answered'; tcp?: boolean; ws?: boolean }) {
  const calls: string[] = [];
  const p: TransportProbes = {
    udpInfo: (_rv, ms) => {
      calls.push(`udp ${ms}`);
      return Promise.resolve(o.udp);
    },
    tcpOpens: (a: SocketAddr) => {
      calls.push(`tcp ${a.ip}:${a.port}`);
      return Promise.resolve(o.tcp === true);
    },
    wsOpens: (url) => {
      calls.push(`ws ${url}`);
      return Promise.resolve(o.ws === true);
    },
  };
  return { p, calls };
}

test('UDP answers: udp, with the fronts it named', async () => {
  const { p, calls } = probes({ udp: FRONTS, tcp: true });
  const r = await pickTransport(RV, {}, p);
  assert.equal(r.transport, 'udp');
  assert.deepEqual(r.fronts, FRONTS);
  assert.deepEqual(calls, ['udp 1000'], 'silent for 1 s before anything else');
});

test('an older rendezvous answers over UDP without fronts: udp, no fronts remembered', async () => {
  const { p, calls } = probes({ udp: 'answered', tcp: true });
  assert.deepEqual(await pickTransport(RV, {}, p), { transport: 'udp' });
  assert.deepEqual(calls, ['udp 1000']);
});

test('UDP silent: TCP on the rendezvous port, then WS (a wildcard host is the rendezvous)', async () => {
  const a = probes({ tcp: true });
  assert.deepEqual(await pickTransport(RV, {}, a.p), { transport: 'tcp', tcp: RV });
  const b = probes({ ws: true });
  const r = await pickTransport(RV, { fronts: FRONTS }, b.p);
  assert.equal(r.transport, 'ws');
  assert.equal(r.wsUrl, 'ws://198.51.100.1:443/porthole');
  assert.deepEqual(b.calls, [
    'udp 1000',
    'tcp 198.51.100.1:7400',
    'ws ws://198.51.100.1:443/porthole',
  ]);
  const none = probes({});
  assert.equal(
    (await pickTransport(RV, {}, none.p)).transport,
    'udp',
    'nothing: UDP, fails clearly',
  );
});

test('what worked on this network first: no 1 s wait for a silent UDP', async () => {
  const { p, calls } = probes({ tcp: true });
  const r = await pickTransport(RV, { transport: 'tcp', fronts: { ...FRONTS, tcpPort: 7443 } }, p);
  assert.deepEqual(r.tcp, { ip: RV.ip, port: 7443 });
  assert.deepEqual(calls, ['tcp 198.51.100.1:7443']);
  // A front the rendezvous said it does not run is not tried.
  const off = probes({ tcp: true, ws: true });
  const r2 = await pickTransport(RV, { fronts: { ...FRONTS, tcpPort: 0 } }, off.p);
  assert.equal(r2.transport, 'ws');
  assert.ok(!off.calls.some((c) => c.startsWith('tcp')));
  assert.equal(wsUrlFor('http://x/', RV), undefined);
});
