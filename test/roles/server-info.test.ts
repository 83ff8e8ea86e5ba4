// serverInfo (issue 21 item 1): the rendezvous names its fronts to a client that asks (a padded
// infoQuery; never a larger answer) and to a home after each registration; the home keeps appUrl.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HomeAgent } from '../../src/home/agent.js';
import { RendezvousServer } from '../../src/rendezvous/server.js';
import { INFO_PAD } from '../../src/wire/server-messages.js';
import { fakeEnv } from '../support/fakes.js';

const HOME = { ip: '198.51.100.10', port: 5000 };
const CLIENT = { ip: '203.0.113.20', port: 6000 };

test('infoQuery is answered with the fronts; a home hears them after registered', () => {
  const f = fakeEnv('192.0.2.1');
  const rv = new RendezvousServer(f.env, {
    listen: { port: 7400 },
    appUrl: 'https://rv.example/',
  });
  rv.start();
  rv.announceFronts({ tcpPort: 7400, wsPort: 443, wsUrl: 'wss://rv.example/porthole' });
  const ep = f.net.endpoints[0]!;
  ep.deliver({ type: 'infoQuery', tx: 5 }, CLIENT, INFO_PAD);
  assert.deepEqual(f.net.of('serverInfo')[0]?.msg, {
    type: 'serverInfo',
    tx: 5,
    tcpPort: 7400,
    wsUrl: 'wss://rv.example/porthole',
    appUrl: 'https://rv.example/',
  });
  f.net.clear();
  ep.deliver({ type: 'infoQuery', tx: 6 }, CLIENT, 8); // unpadded: no answer bigger than it
  assert.equal(f.net.of('serverInfo').length, 0);
  ep.deliver({ type: 'register', tx: 7, homeId: 'h', locals: [], auth: new Uint8Array(0) }, HOME);
  assert.equal(f.net.of('serverInfo').at(-1)?.msg.tx, 7);
  ep.deliver({ type: 'keepalive', tx: 8, homeId: 'h' }, HOME);
  assert.equal(f.net.of('serverInfo').length, 1, 'once per registration, not per keepalive');
  rv.close();

  const g = fakeEnv('10.0.0.2');
  const RV = { ip: '192.0.2.1', port: 7400 };
  const home = new HomeAgent(g.env, { id: 'h', rendezvous: RV, listen: { port: 5000 } });
  let changes = 0;
  home.onChange(() => changes++);
  home.start();
  const hep = g.net.endpoints[0]!;
  const reg = g.net.of('register').at(-1)!;
  hep.deliver({ type: 'registered', tx: reg.msg.tx, observed: HOME, ttlMs: 90_000 }, RV);
  const before = changes;
  const info = { tcpPort: 7400, wsUrl: '', appUrl: 'https://rv.example/' };
  hep.deliver({ type: 'serverInfo', tx: reg.msg.tx, ...info }, { ip: '192.0.2.66', port: 7400 });
  assert.equal(home.serverInfo, undefined, 'only the rendezvous speaks for itself');
  hep.deliver({ type: 'serverInfo', tx: reg.msg.tx, ...info }, RV);
  assert.deepEqual(home.serverInfo, info);
  assert.equal(changes, before + 1, 'status.json is rewritten with appUrl');
  home.close();
});
