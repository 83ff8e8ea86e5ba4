// Relay placement, client side (issue 10): a relayOpen answered with relayRedirect is re-sent,
// with its early frame, to the relay named; at most two redirects; a redirect to a non-unicast
// address or port 0 ends the open; a redirect from any other address than the one asked is
// ignored. The redirecting relays here are plain sockets that answer every relayOpen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SocketAddr } from '../../src/net/types.js';
import { followRedirect, isUnicastAddr } from '../../src/relay/redirect.js';
import { decode, encode, type MessageOf } from '../../src/wire/messages.js';
import { RELAY, relayWorld } from './world.js';

type World = ReturnType<typeof relayWorld>;

/** A host at `ip` whose socket answers each relayOpen with a redirect to `to()` (sent from `from`). */
function redirector(x: World, ip: string, to: () => SocketAddr, forger?: SocketAddr) {
  const host = x.w.site(
    [],
    { publicIp: ip, hostIp: ip, innerIps: [] },
    { delayMs: 5, hops: 1 },
  ).host;
  const ep = host.open({ port: 7400 });
  const forgeEp = forger && host.open({ port: forger.port });
  const seen = { opens: 0, early: [] as number[] };
  ep.onDatagram((d, from) => {
    const r = decode(d);
    if (!r.ok || r.msg.type !== 'relayOpen') return;
    seen.opens++;
    seen.early.push(r.msg.early.length);
    const m: MessageOf<'relayRedirect'> = {
      type: 'relayRedirect',
      tx: r.msg.tx,
      session: r.msg.session,
      relay: to(),
      tcpPort: 0,
      wsPort: 0,
    };
    (forgeEp ?? ep).send(encode(m), from);
  });
  return { addr: { ip, port: 7400 }, seen };
}

test('redirected once: the session opens at the relay named, early frame and all', () => {
  const x = relayWorld();
  const front = redirector(x, '198.51.100.20', () => RELAY);
  const c = x.connect(x.client(), { transport: 'udp', relay: front.addr }, true);
  assert.ok(c.opened?.ok, JSON.stringify(c.opened));
  assert.ok(c.channel?.ready, 'the Noise handshake (early frame) completed through the redirect');
  assert.equal(c.path?.remote, `relay udp ${RELAY.ip}:${RELAY.port}`);
  assert.equal(front.seen.opens, 1);
  assert.ok((front.seen.early[0] ?? 0) > 0);
  c.channel.send(new TextEncoder().encode('hi'));
  x.run(200);
  assert.deepEqual(c.got, ['hi']);
});

test('redirect loops end after two redirects; bad addresses are refused', () => {
  const x = relayWorld();
  const a = { ip: '198.51.100.21', port: 7400 };
  const b = { ip: '198.51.100.22', port: 7400 };
  redirector(x, a.ip, () => b);
  redirector(x, b.ip, () => a);
  const loop = x.connect(x.client(), { transport: 'udp', relay: a });
  assert.equal(loop.opened?.ok, false);
  assert.equal(!loop.opened?.ok && loop.opened?.error.kind, 'relay-redirect');

  for (const bad of [
    { ip: '0.0.0.0', port: 7400 },
    { ip: '224.0.0.1', port: 7400 },
    { ip: '255.255.255.255', port: 7400 },
    { ip: '::', port: 7400 },
    { ip: 'ff02::1', port: 7400 },
    { ip: RELAY.ip, port: 0 },
  ]) {
    assert.equal(isUnicastAddr(bad), false, JSON.stringify(bad));
    const front = redirector(x, `198.51.100.${30 + bad.port + bad.ip.length}`, () => bad);
    const r = x.connect(x.client(), { transport: 'udp', relay: front.addr });
    assert.equal(!r.opened?.ok && r.opened?.error.kind, 'relay-redirect', JSON.stringify(bad));
  }
  assert.equal(isUnicastAddr({ ip: '127.0.0.2', port: 1 }), true);
  assert.equal(isUnicastAddr({ ip: '2001:db8::1', port: 443 }), true);
});

test('a redirect from another address than the relay asked is ignored', () => {
  const x = relayWorld();
  // The relay asked never answers itself; its "redirect" comes from another port of the host.
  const front = redirector(x, '198.51.100.40', () => RELAY, { ip: '198.51.100.40', port: 7401 });
  const r = x.connect(x.client(), { transport: 'udp', relay: front.addr });
  assert.equal(!r.opened?.ok && r.opened?.error.kind, 'relay-timeout');
  assert.ok(front.seen.opens > 1, 'the client kept asking the relay it chose');
});

test('stream transports follow to the same transport on the port the redirect names', () => {
  const m = (tcpPort: number, wsPort: number): MessageOf<'relayRedirect'> => ({
    type: 'relayRedirect',
    tx: 1,
    session: '0123456789abcdef',
    relay: { ip: '2001:db8::5', port: 7410 },
    tcpPort,
    wsPort,
  });
  const tcp = { transport: 'tcp' as const, relay: { ip: '192.0.2.1', port: 443 } };
  const wss = { transport: 'ws' as const, url: 'wss://relay.example.net/porthole' };
  assert.deepEqual(followRedirect(tcp, m(443, 0)), {
    transport: 'tcp',
    relay: { ip: '2001:db8::5', port: 443 },
  });
  assert.equal(followRedirect(tcp, m(0, 8443)), undefined, 'no TCP front named');
  assert.deepEqual(followRedirect(wss, m(0, 8443)), {
    transport: 'ws',
    url: 'wss://[2001:db8::5]:8443/porthole',
  });
  assert.equal(followRedirect(wss, m(443, 0)), undefined, 'no WebSocket front named');
});
