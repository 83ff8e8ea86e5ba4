// The UPnP client takes only a believable mapping from the gateway: the library hands on whatever
// the SOAP answers said (found by the `upnp` fuzz target: an XML element where the address
// belongs came back as an object, a non-number port as NaN, and both went on as the mapping).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Gateway } from '@achingbrain/nat-port-mapper';
import { UpnpClient } from '../../src/portmap/upnp-client.js';

const req = { internalPort: 40000, externalPort: 40000, lifetimeS: 7200 };

/** A gateway whose map() answers with `externalHost`/`externalPort` as given. */
function gateway(externalHost: unknown, externalPort: unknown): Gateway {
  return {
    family: 'IPv4',
    map: (internalPort: number, internalHost: string) =>
      Promise.resolve({ externalHost, externalPort, internalHost, internalPort, protocol: 'UDP' }),
  } as unknown as Gateway;
}

async function mapWith(host: unknown, port: unknown) {
  const c = new UpnpClient({
    localIp: '192.168.1.20',
    findGateway: () => Promise.resolve(gateway(host, port)),
  });
  try {
    return await c.map(req);
  } finally {
    c.close();
  }
}

test('upnp: a valid answer is the mapping, leased for at least an hour', async () => {
  assert.deepEqual(await mapWith('203.0.113.5', 40017), {
    ok: true,
    mapping: {
      protocol: 'upnp',
      internalPort: 40000,
      external: { ip: '203.0.113.5', port: 40017 },
      lifetimeS: 7200,
    },
  });
});

test('upnp: an external address that is not an IPv4 address is refused, with what it was', async () => {
  for (const host of [{ a: '1' }, '', 'router.lan', '2001:db8::1', '203.0.113.500', undefined]) {
    const r = await mapWith(host, 40000);
    assert.equal(r.ok, false, JSON.stringify(host));
    assert.ok(!r.ok && r.kind === 'refused' && /not an IPv4 external address/.test(r.reason));
  }
});

test('upnp: an external port outside 1-65535 is refused', async () => {
  for (const port of [NaN, 0, -1, 65536, 40000.5, '40000']) {
    const r = await mapWith('203.0.113.5', port);
    assert.ok(!r.ok && r.kind === 'refused' && /not an external port/.test(r.reason), String(port));
  }
});
