// A paired home and client on loopback, for end-to-end trust tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type ConnectResult } from '../../src/client/connector.js';
import { pair } from '../../src/client/pair.js';
import { reach } from '../../src/client/reach.js';
import { serveApp } from '../../src/home/secure-peers.js';
import { realEnv } from '../../src/net/real-env.js';
import { silentLogger, type Env } from '../../src/net/types.js';
import type { MessageChannel } from '../../src/net/channel.js';
import { clientTrust } from '../../src/secure/client-trust.js';
import { HomeTrustStore } from '../../src/secure/home-trust.js';
import { codeId, newSecret } from '../../src/secure/pairing-code.js';
import { addPendingCode, initState, type State } from '../../src/secure/state.js';
import { LOOPBACK, startLocalStack, type LocalStack } from './local-stack.js';

export interface TrustStack {
  env: Env;
  stack: LocalStack;
  home: State;
  trust: HomeTrustStore;
  newClient(): State;
  /** Pairs `client` with a fresh one-time code (as `home pair` + `client pair` do). */
  pair(client: State): Promise<void>;
  /** Connects with the client's signature; resolves the raw connect result. */
  connect(client: State): Promise<ConnectResult>;
  /** Connects and opens the encrypted channel. */
  secure(client: State): Promise<MessageChannel>;
  close(): void;
}

export async function startTrustStack(): Promise<TrustStack> {
  const env = realEnv(silentLogger);
  const dir = mkdtempSync(join(tmpdir(), 'porthole-trust-'));
  const home = initState(join(dir, 'home'), 'home');
  const trust = new HomeTrustStore(home);
  const stack = await startLocalStack(env, home.homeId, { trust });
  // Home application for tests: echo every message back.
  serveApp(stack.home, trust, (ch) => ch.onMessage((d) => ch.send(d)));
  let n = 0;
  const base = {
    home: home.homeId,
    rendezvous: stack.rvAddr,
    bindIp: LOOPBACK.client,
    sockets: 20,
  };
  const t: TrustStack = {
    env,
    stack,
    home,
    trust,
    newClient: () => initState(join(dir, `client${n++}`), 'client'),
    async pair(client) {
      const secret = newSecret();
      const expiresAt = Date.now() + 60_000;
      addPendingCode(home.dir, {
        id: codeId(secret),
        secret: Buffer.from(secret).toString('base64url'),
        expiresAt,
        used: false,
      });
      const code = {
        home: home.identity,
        homeId: home.homeId,
        rendezvous: stack.rvAddr,
        secret,
        expiresAt,
      };
      await pair(env, client.identity, code, base);
    },
    connect: (client) => connectAsync(env, { ...base, trust: clientTrust(client.identity) }),
    async secure(client) {
      const r = await reach(env, base, {
        identity: client.identity,
        homeDh: home.identity.dhPublic,
      });
      return r.channel;
    },
    close: () => stack.close(),
  };
  return t;
}
