// Issue 21 item 4: a registration proof is bound to the server it was sent to (its role and the
// address the home sent it to). Replayed to a relay node or another cluster node inside its
// freshness window, it is refused; an older home's unbound proof still verifies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SocketAddr } from '../../src/net/types.js';
import { MemoryRegistry } from '../../src/rendezvous/registry.js';
import { ownAddresses, RegistrationDesk } from '../../src/rendezvous/registration-desk.js';
import { registrationAuth, verifyRegistration, type ServerRole } from '../../src/secure/auth.js';
import { generateIdentity, homeIdOf } from '../../src/secure/keys.js';
import type { Message, MessageOf } from '../../src/wire/messages.js';
import { fakeEnv } from '../support/fakes.js';

const RV: SocketAddr = { ip: '198.51.100.1', port: 7400 };
const RV2: SocketAddr = { ip: '198.51.100.3', port: 7400 };
const RELAY: SocketAddr = { ip: '198.51.100.2', port: 7410 };
const HOME: SocketAddr = { ip: '203.0.113.9', port: 40000 };

function desk(role: ServerRole, self: SocketAddr[], advertise: SocketAddr[] = []) {
  const { env, clock } = fakeEnv('198.51.100.1');
  const registry = new MemoryRegistry(10);
  const answers: Message[] = [];
  const d = new RegistrationDesk({
    env,
    registry,
    cfg: { registrationTtlMs: 90_000, requireSigned: true },
    role,
    isSelf: ownAddresses(() => self, advertise),
    reply: (m) => answers.push(m),
    drop: () => {},
  });
  return { env, clock, d, registry, answers };
}

test('the proof carries its server; tampering with the binding breaks the signature', () => {
  const id = generateIdentity();
  const homeId = homeIdOf(id);
  const bound = registrationAuth(id, homeId, 1000, { role: 'rendezvous', addr: RV });
  const v = verifyRegistration(homeId, bound);
  assert.ok(v.ok);
  assert.deepEqual(v.server, { role: 'rendezvous', addr: RV });
  const forged = bound.slice();
  forged[32 + 32 + 8 + 8] = 2; // role byte: rendezvous → relay
  assert.equal(verifyRegistration(homeId, forged).ok, false);
  // An older home's unbound proof still reads (the server decides).
  const old = verifyRegistration(homeId, registrationAuth(id, homeId, 1000));
  assert.ok(old.ok && old.server === undefined);
});

test('a proof sent to the rendezvous, replayed to the relay node or another node: refused', () => {
  const id = generateIdentity();
  const homeId = homeIdOf(id);
  const rv = desk('rendezvous', [RV]);
  const now = rv.clock.wallNow();
  const auth = registrationAuth(id, homeId, now, { role: 'rendezvous', addr: RV });
  const msg: MessageOf<'register'> = { type: 'register', tx: 1, homeId, locals: [], auth };
  rv.d.onRegister(msg, { from: HOME, size: 200 });
  assert.equal(rv.answers[0]?.type, 'registered');

  // The same bytes, within the replay window, from an attacker's address.
  const attacker = { ip: '192.0.2.66', port: 6666 };
  for (const [role, self] of [
    ['relay', [RELAY]],
    ['rendezvous', [RV2]],
    ['relay', [{ ip: '0.0.0.0', port: 7410 }]], // a relay on 0.0.0.0 checks role and port
  ] as const) {
    const other = desk(role, [...self]);
    other.d.onRegister(msg, { from: attacker, size: 200 });
    const a = other.answers[0];
    assert.equal(a?.type, 'error', `${role} ${JSON.stringify(self)}`);
    assert.match(a?.type === 'error' ? a.message : '', /proof is for rendezvous 198\.51\.100\.1/);
    assert.equal(other.registry.get(homeId, 0), undefined, 'the home stays where it was');
  }
});

test('a server that cannot see its public IP: the port and role, or its --advertise', () => {
  const id = generateIdentity();
  const homeId = homeIdOf(id);
  const register = (d: ReturnType<typeof desk>, to: SocketAddr) =>
    d.d.onRegister(
      {
        type: 'register',
        tx: 1,
        homeId,
        locals: [],
        auth: registrationAuth(id, homeId, d.clock.wallNow(), { role: 'relay', addr: to }),
      },
      { from: HOME, size: 200 },
    );
  const wild = desk('relay', [{ ip: '0.0.0.0', port: 7410 }]);
  register(wild, RELAY); // behind a 1:1 NAT: the public IP is unknown to it
  assert.equal(wild.answers[0]?.type, 'registered');
  const advertised = desk('relay', [{ ip: '0.0.0.0', port: 7410 }], [RELAY]);
  register(advertised, { ip: '198.51.100.99', port: 7410 });
  assert.equal(advertised.answers[0]?.type, 'error', 'with --advertise, the IP is checked too');
  const ok = desk('relay', [{ ip: '0.0.0.0', port: 7410 }], [RELAY]);
  register(ok, RELAY);
  assert.equal(ok.answers[0]?.type, 'registered');
});
