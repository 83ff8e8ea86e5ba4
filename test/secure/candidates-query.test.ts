// Issue 13: a secure home's candidates (its addresses) go only to a client it would accept. The
// rendezvous forwards the signed query to the home; strangers, unsigned, forged and tampered
// queries get an empty list and make the home knock nowhere. Real sockets on loopback.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { queryCandidates } from '../../src/client/candidate-query.js';
import { realEnv } from '../../src/net/real-env.js';
import { silentLogger } from '../../src/net/types.js';
import { candidatesAuth } from '../../src/secure/auth.js';
import { HomeTrustStore } from '../../src/secure/home-trust.js';
import { addAuthorized, initState, type State } from '../../src/secure/state.js';
import { candidateListBytes, type Candidate } from '../../src/wire/candidates.js';
import { LOOPBACK, startLocalStack, type LocalStack } from '../support/local-stack.js';

const env = realEnv(silentLogger);
const dir = mkdtempSync(join(tmpdir(), 'porthole-candq-'));
let stack: LocalStack;
let home: State;
let paired: State;
let stranger: State;
let n = 0;
const mine: Candidate[] = [{ kind: 'ipv6', addr: { ip: '::1', port: 9 } }];

before(async () => {
  home = initState(join(dir, 'home'), 'home');
  paired = initState(join(dir, 'paired'), 'client');
  stranger = initState(join(dir, 'stranger'), 'client');
  addAuthorized(home.dir, {
    edPublic: Buffer.from(paired.identity.edPublic).toString('base64url'),
    dhPublic: Buffer.from(paired.identity.dhPublic).toString('base64url'),
    name: 'paired',
    addedAt: new Date().toISOString(),
  });
  stack = await startLocalStack(env, home.homeId, {
    trust: new HomeTrustStore(home),
    candidates: { ipv6: ['::1'] },
  });
  for (let i = 0; i < 40 && !stack.home.stats.candidates.ipv6; i++)
    await new Promise((r) => setTimeout(r, 50));
  assert.ok(stack.home.stats.candidates.ipv6, 'the home IPv6 socket did not bind');
});

after(() => stack.close());

const session = (): string => (++n).toString(16).padStart(16, '0');
const sign = (who: State, s: string, list: Candidate[], homeId = home.homeId) =>
  candidatesAuth(who.identity, {
    homeId,
    session: s,
    list: candidateListBytes(list),
    now: Date.now(),
  });
const ask = (s: string, auth: Uint8Array | undefined, list: Candidate[] = mine) =>
  queryCandidates(env, {
    homeId: home.homeId,
    rendezvous: stack.rvAddr,
    session: s,
    mine: list,
    bindIp: LOOPBACK.client,
    ...(auth ? { auth } : {}),
    deadlineMs: 1200,
  });

test('signed candidates: a paired client gets the home IPv6 candidate and the home knocks', async () => {
  const knocks = stack.home.stats.candidates.knocks;
  const s = session();
  const list = await ask(s, sign(paired, s, mine));
  assert.deepEqual(
    list?.map((c) => c.kind),
    ['ipv6'],
  );
  assert.equal(list?.[0]?.addr.ip, '::1');
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(stack.home.stats.candidates.knocks > knocks, 'the home did not knock');
  // The client's retransmission (same signature) gets the same answer, not a replay refusal.
  assert.deepEqual(await ask(s, sign(paired, s, mine)), list);
});

test('signed candidates: strangers, unsigned, forged and tampered queries learn nothing', async () => {
  await new Promise((r) => setTimeout(r, 700)); // the first test's knocks (10 at 50 ms) are over
  const knocks = stack.home.stats.candidates.knocks;
  const cases: Array<[string, () => Promise<Candidate[] | undefined>]> = [
    ['unsigned', () => ask(session(), undefined)],
    ['stranger', () => ask(session(), ((s) => sign(stranger, s, mine))(session()))],
    ['garbage auth', () => ask(session(), new Uint8Array(120).fill(7))],
    ['signed for another session', () => ask(session(), sign(paired, 'ffffffffffffffff', mine))],
    ['signed for another home', () => ask(session(), sign(paired, '0000000000000000', mine, 'x'))],
    [
      'list swapped after signing',
      async () => {
        const s = session();
        const other = [{ kind: 'ipv6' as const, addr: { ip: '::1', port: 10 } }];
        return ask(s, sign(paired, s, mine), other);
      },
    ],
  ];
  for (const [what, run] of cases) {
    const list = await run();
    assert.deepEqual(list, [], `${what}: ${JSON.stringify(list)}`);
  }
  const stranger2 = session();
  assert.deepEqual(await ask(stranger2, sign(stranger, stranger2, mine)), []);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(stack.home.stats.candidates.knocks, knocks, 'the home knocked for a refused query');
});

test('signed candidates: a signed query is not replayable into a new session', async () => {
  const s = session();
  const auth = sign(paired, s, mine);
  assert.equal((await ask(s, auth))?.length, 1);
  assert.deepEqual(await ask(session(), auth), []);
});
