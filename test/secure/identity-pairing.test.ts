import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  assistAuth,
  registrationAuth,
  verifyAssist,
  verifyRegistration,
} from '../../src/secure/auth.js';
import { base32Decode, base32Encode } from '../../src/secure/base32.js';
import { DERIVED_ID, generateIdentity, homeIdOf } from '../../src/secure/keys.js';
import {
  codeId,
  decodePairingCode,
  encodePairingCode,
  newSecret,
} from '../../src/secure/pairing-code.js';
import { ReplayGuard } from '../../src/secure/replay.js';
import { ReplayWindow } from '../../src/secure/replay-window.js';
import { isPortholeError } from '../../src/errors.js';
import { RateLimiter } from '../../src/util/rate-limit.js';
import { HomeTrustStore } from '../../src/secure/home-trust.js';
import { pairingProof } from '../../src/secure/pairing-proof.js';
import type { Verdict } from '../../src/secure/trust.js';
import {
  addAuthorized,
  addPendingCode,
  findHome,
  initState,
  listAuthorized,
  listPendingCodes,
  loadState,
  revokeAuthorized,
} from '../../src/secure/state.js';

/** Matches a PortholeError of `k` (tests match on the kind, never the sentence). */
const kind =
  (k: string) =>
  (e: unknown): boolean =>
    isPortholeError(e, k);

const tmp = (): string => mkdtempSync(join(tmpdir(), 'porthole-test-'));

test('state dir: 0700 dir, 0600 files, reloads the same identity; clear errors when missing or corrupt', () => {
  const dir = join(tmp(), 'home');
  const s = initState(dir, 'home');
  assert.match(s.homeId, DERIVED_ID);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, 'identity.json')).mode & 0o777, 0o600);
  assert.equal(loadState(dir, 'home').homeId, s.homeId);
  assert.throws(() => initState(dir, 'home'), kind('state-exists'));
  assert.throws(() => loadState(dir, 'client'), kind('wrong-role'));
  assert.throws(() => loadState(join(dir, 'nope'), 'home'), kind('state-missing'));
  writeFileSync(join(dir, 'identity.json'), '{"version":1,');
  assert.throws(() => loadState(dir, 'home'), kind('file-not-json'));
  const j = {
    version: 1,
    role: 'home',
    identity: { ed: { x: 'AAAA', d: 'AAAA' }, dh: { pub: 'AAAA', sec: 'AAAA' } },
  };
  writeFileSync(join(dir, 'identity.json'), JSON.stringify(j));
  assert.throws(() => loadState(dir, 'home'), kind('file-corrupt'));
});

test('unreadable state file says so', () => {
  const dir = join(tmp(), 'h');
  initState(dir, 'home');
  // A directory where the file should be cannot be read, even by root.
  rmSync(join(dir, 'identity.json'));
  mkdirSync(join(dir, 'identity.json'));
  assert.throws(() => loadState(dir, 'home'), kind('file-unreadable'));
});

test('authorized clients: add, list, revoke by fingerprint prefix', () => {
  const dir = join(tmp(), 'h');
  initState(dir, 'home');
  const a = generateIdentity();
  addAuthorized(dir, {
    edPublic: Buffer.from(a.edPublic).toString('base64url'),
    dhPublic: 'x',
    name: 'phone',
    addedAt: '',
  });
  assert.equal(listAuthorized(dir).length, 1);
  assert.throws(() => revokeAuthorized(dir, 'zzzzzz'), /no authorized client/);
  revokeAuthorized(dir, Buffer.from(a.edPublic).toString('base64url').slice(0, 10));
  assert.equal(listAuthorized(dir).length, 0);
});

test('a hand-edited list with a bad entry is a corrupt file, not a TypeError (found by fuzzing)', () => {
  const dir = join(tmp(), 'h');
  initState(dir, 'home');
  writeFileSync(join(dir, 'authorized-clients.json'), '[{"dhPublic": "x"}]');
  assert.throws(() => revokeAuthorized(dir, 'AAAA'), kind('file-corrupt'));
  writeFileSync(join(dir, 'homes.json'), '[null]');
  assert.throws(() => findHome(dir, 'ph-x'), kind('file-corrupt'));
  writeFileSync(join(dir, 'pairing-codes.json'), '[{"id": 1}]');
  assert.throws(() => listPendingCodes(dir), kind('file-corrupt'));
});

test('home ids come from the keys: another key cannot sign for them', () => {
  const home = generateIdentity();
  const id = homeIdOf(home);
  const auth = registrationAuth(home, id, Date.now());
  assert.equal(verifyRegistration(id, auth).ok, true);
  const mallory = generateIdentity();
  assert.equal(verifyRegistration(id, registrationAuth(mallory, id, Date.now())).ok, false);
  const tampered = new Uint8Array(auth);
  tampered[80] = (tampered[80] as number) ^ 1;
  assert.equal(verifyRegistration(id, tampered).ok, false);
  assert.equal(verifyRegistration('open-id', auth).ok, false);
});

test('assist signatures bind home, session and the client address', () => {
  const client = generateIdentity();
  const addr = { ip: '203.0.113.5', port: 4000 };
  const auth = assistAuth(client, {
    homeId: 'ph-x',
    session: '0011223344556677',
    client: addr,
    now: Date.now(),
  });
  assert.equal(verifyAssist('ph-x', '0011223344556677', addr, auth).ok, true);
  assert.equal(
    verifyAssist('ph-x', '0011223344556677', { ...addr, port: 4001 }, auth).ok,
    false,
    'redirected',
  );
  assert.equal(verifyAssist('ph-y', '0011223344556677', addr, auth).ok, false);
  assert.equal(verifyAssist('ph-x', '0011223344556678', addr, auth).ok, false);
  assert.equal(verifyAssist('ph-x', '0011223344556677', addr, auth.subarray(0, 50)).ok, false);
});

test('replay guard: fresh once, never twice, never stale', () => {
  const g = new ReplayGuard(1000, 3);
  assert.equal(g.accept('a', 100, 100), true);
  assert.equal(g.accept('a', 100, 100), false);
  assert.equal(g.accept('b', 100, 5000), false);
  for (const n of ['c', 'd', 'e', 'f']) assert.equal(g.accept(n, 100, 100), true); // bounded, still works
});

test('replay window: each counter once, old ones out', () => {
  const w = new ReplayWindow(8);
  for (const n of [0, 2, 1, 5]) {
    assert.equal(w.check(n), true);
    w.mark(n);
  }
  assert.equal(w.check(2), false);
  w.mark(20);
  assert.equal(w.check(5), false); // fell out of the window
  assert.equal(w.check(19), true);
});

test('rate limiter: burst then refill; bounded keys', () => {
  const r = new RateLimiter({ ratePerSec: 1, burst: 2, maxKeys: 2 });
  assert.deepEqual([r.take('a', 0), r.take('a', 0), r.take('a', 0)], [true, true, false]);
  assert.equal(r.take('a', 1000), true);
  r.take('b', 0);
  r.take('c', 0); // evicts the least recent
  assert.equal(r.limited, 1);
});

test('pairing codes: round trip; garbled, wrong and expired codes fail clearly', () => {
  const home = generateIdentity();
  const secret = newSecret();
  const expiresAt = Date.now() + 60_000;
  const code = encodePairingCode({
    home,
    rendezvous: { ip: '198.51.100.1', port: 7400 },
    secret,
    expiresAt,
  });
  assert.match(code, /^PH1-[A-Z2-7]+$/);
  const c = decodePairingCode(code.toLowerCase().replace('ph1-', 'PH1-'));
  assert.equal(c.homeId, homeIdOf(home));
  assert.deepEqual(c.rendezvous, { ip: '198.51.100.1', port: 7400 });
  assert.equal(codeId(c.secret), codeId(secret));
  const typo = code.slice(0, 20) + (code[20] === 'A' ? 'B' : 'A') + code.slice(21);
  assert.throws(() => decodePairingCode(typo), kind('code-checksum'));
  assert.throws(() => decodePairingCode('hello'), kind('not-a-code'));
  assert.throws(() => decodePairingCode('PH1-!!!'), kind('code-garbled'));
  assert.throws(() => decodePairingCode(code, expiresAt + 1000), kind('code-expired'));
});

test('base32 round trip', () => {
  const b = new Uint8Array([0, 1, 2, 250, 251, 252, 253]);
  assert.deepEqual(base32Decode(base32Encode(b)), b);
  assert.equal(base32Decode('a!'), undefined);
});

test('the home refuses channels by kind: unpaired key, malformed proof, wrong and used codes', () => {
  const home = initState(join(tmp(), 'home'), 'home');
  const client = initState(join(tmp(), 'client'), 'client');
  const trust = new HomeTrustStore(home);
  const kindOf = (v: Verdict): string => (v.ok ? 'ok' : v.kind);
  const dh = client.identity.dhPublic;
  assert.equal(kindOf(trust.authorizeChannel(dh, new Uint8Array(0))), 'not-paired');
  assert.equal(kindOf(trust.authorizeChannel(dh, new Uint8Array(10))), 'malformed-proof');
  const secret = newSecret();
  const id = codeId(secret);
  const unknown = pairingProof(client.identity, id, secret);
  assert.equal(kindOf(trust.authorizeChannel(dh, unknown)), 'unknown-code');
  addPendingCode(home.dir, {
    id,
    secret: Buffer.from(secret).toString('base64url'),
    expiresAt: Date.now() + 60_000,
    used: false,
  });
  const wrong = pairingProof(client.identity, id, newSecret());
  assert.equal(kindOf(trust.authorizeChannel(dh, wrong)), 'wrong-code');
  const right = pairingProof(client.identity, id, secret);
  assert.equal(kindOf(trust.authorizeChannel(dh, right)), 'ok');
  assert.equal(kindOf(trust.authorizeChannel(dh, right)), 'code-used');
  assert.equal(kindOf(trust.authorizeChannel(dh, new Uint8Array(0))), 'ok');
});
