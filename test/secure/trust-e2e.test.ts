// Trust end to end on loopback: only paired clients make the home spray, and only they get a channel.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectAsync } from '../../src/client/connector.js';
import { LOOPBACK } from '../support/local-stack.js';
import { revokeAuthorized } from '../../src/secure/state.js';
import { fingerprint } from '../../src/secure/keys.js';
import { startTrustStack, type TrustStack } from '../support/trust-stack.js';

let t: TrustStack;
before(async () => {
  t = await startTrustStack();
});
after(() => t.close());

const echo = (ch: Awaited<ReturnType<TrustStack['secure']>>, text: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no echo')), 2000);
    ch.onMessage((d) => {
      clearTimeout(timer);
      resolve(Buffer.from(d).toString());
    });
    ch.send(Buffer.from(text));
  });

test('an unpaired client cannot make the home send a single spray packet', async () => {
  const sprays = t.stack.home.stats.sprays;
  const sent = t.stack.home.stats.packetsSent;
  const stranger = t.newClient();
  const r = await t.connect(stranger);
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.error, /refused: this client is not paired/);
  // Anonymous too (no signature at all).
  const anon = await connectAsync(t.env, {
    home: t.home.homeId,
    rendezvous: t.stack.rvAddr,
    bindIp: LOOPBACK.client,
    sockets: 5,
  });
  assert.equal(anon.ok, false);
  assert.equal(t.stack.home.stats.sprays, sprays);
  // What the home did send: its refusals to the rendezvous, nothing towards the clients.
  assert.ok(t.stack.home.stats.packetsSent - sent <= 4);
});

test('pairing, then an encrypted channel', async () => {
  const phone = t.newClient();
  await t.pair(phone);
  const ch = await t.secure(phone);
  assert.equal(await echo(ch, 'unlock the door'), 'unlock the door');
  ch.close();
});

test('a revoked client is refused at its next message', async () => {
  const laptop = t.newClient();
  await t.pair(laptop);
  const ch = await t.secure(laptop);
  revokeAuthorized(t.home.dir, fingerprint(laptop.identity.edPublic));
  // The per-message check reads the paired list at most 100 ms old (REVOKE_FRESH_MS).
  await new Promise((r) => setTimeout(r, 150));
  await assert.rejects(echo(ch, 'still there?'), /no echo/);
  ch.close();
  const r = await t.connect(laptop);
  assert.match(r.ok ? '' : r.error, /not paired|revoked/);
});
