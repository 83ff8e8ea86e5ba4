// NAT rebinding (net/roam.ts): a frame that authenticates on a live Noise session moves the peer
// to the address it came from; a forged or replayed one never does. On the virtual network with
// the real roles, so the addresses are NAT mappings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Connection } from '../../src/client/connection.js';
import { DropCounter, MessageSocket } from '../../src/net/message-socket.js';
import { silentLogger, type SocketAddr } from '../../src/net/types.js';
import { PRESETS } from '../../src/net/virtual/presets.js';
import type { Message } from '../../src/wire/messages.js';
import { roamWorld, secureDevices } from '../support/roam-world.js';

function altSocket(w: ReturnType<typeof roamWorld>, got: Message[]): MessageSocket {
  return new MessageSocket(w.clientEnv.net.open({}), new DropCounter(), silentLogger, (m) =>
    got.push(m),
  );
}

test('the home moves a peer only for a frame that authenticates from its new address', async () => {
  const w = roamWorld(PRESETS.restricted, PRESETS.port);
  try {
    const r = await w.connect();
    assert.ok(r.ok);
    const conn: Connection = r.connection;
    const { devices } = await secureDevices(w, r, 0);
    await w.settle(devices.get('light.kitchen'));
    const home: SocketAddr = conn.peer;
    const altGot: Message[] = [];
    const alt = altSocket(w, altGot);
    const dataAtAlt = (): number => altGot.filter((m) => m.type === 'data').length;

    // Forged: a data frame of the right shape that no session's key opens.
    const forged = new Uint8Array(60);
    forged[0] = 3;
    forged[4] = 200;
    alt.send({ type: 'data', payload: forged }, home);
    // Replayed: a frame the home already accepted, sent again from the new address.
    const seen: Uint8Array[] = [];
    const send = conn.send.bind(conn);
    conn.send = (d) => {
      seen.push(d);
      send(d);
    };
    await w.settle(devices.get('light.kitchen'));
    for (const f of seen) alt.send({ type: 'data', payload: f }, home);
    await w.run(1000);
    assert.equal(w.home.stats.peersMoved, 0);
    assert.equal(dataAtAlt(), 0);
    assert.ok((w.home.stats.dropped['data-from-stranger'] ?? 0) >= 1 + seen.length);

    // Authentic and new: the request leaves only from the new address; the answer goes there.
    const held: Uint8Array[] = [];
    conn.send = (d) => void held.push(d);
    const answer = devices.get('light.kitchen');
    await w.run(0);
    conn.send = send;
    assert.equal(held.length, 1);
    alt.send({ type: 'data', payload: held[0] as Uint8Array }, home);
    await w.run(200);
    assert.equal(w.home.stats.peersMoved, 1);
    assert.equal(dataAtAlt(), 1);
    // The client's retransmissions from its own address move the peer back (after the rate
    // limit's half second), and the request completes there.
    const s = await w.settle(answer);
    assert.equal(s.entity_id, 'light.kitchen');
    assert.equal(w.home.stats.peersMoved, 2);
    alt.close();
    devices.close();
  } finally {
    w.close();
  }
});

test('the client follows the home to its new address when its frame authenticates', async () => {
  // The home's router reboots and maps it to a new port; the client's router filters by address
  // only, so the home's next push reaches the client from the new port.
  const homeNat = [{ ...PRESETS.port[0], allocation: 'random' as const }];
  const w = roamWorld(homeNat, PRESETS.restricted);
  try {
    const r = await w.connect();
    assert.ok(r.ok);
    const { devices } = await secureDevices(w, r, 0);
    const kitchen: string[] = [];
    await w.settle(devices.watch((s) => s.entity_id === 'light.kitchen' && kitchen.push(s.state)));
    const before = r.connection.peer;
    w.homeSite.nats[0]?.reboot();
    await w.settle(w.house.execute('light.kitchen', { service: 'toggle' }));
    await w.run(2000);
    assert.notEqual(r.connection.peer.port, before.port);
    assert.equal(r.connection.roams.moves, 1);
    assert.deepEqual(kitchen, ['on']);
    // Commands go to the new address and are applied once.
    await w.settle(devices.call('light.kitchen', { service: 'toggle' }));
    await w.run(1000);
    assert.deepEqual(kitchen, ['on', 'off']);
    assert.equal(devices.stats.resyncs, 0);
    devices.close();
  } finally {
    w.close();
  }
});
