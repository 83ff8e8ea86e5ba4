// Pairing: reach the home with the one-time code (the assist request carries the code's mac),
// prove the code inside the Noise handshake (which also proves the home's key), and hand back
// the record the client keeps about the home.
import { PortholeError } from '../errors.js';
import type { Env } from '../net/types.js';
import { clientTrust, openSecureChannel } from '../secure/client-trust.js';
import type { Identity } from '../secure/keys.js';
import { codeId, type PairingCode } from '../secure/pairing-code.js';
import { pairingProof } from '../secure/pairing-proof.js';
import type { KnownHome } from '../secure/state.js';
import { formatAddr } from '../wire/addr.js';
import { connectAsync, type ConnectOptions } from './connector.js';

export type PairErrorKind = 'pairing-unreachable' | 'pairing-refused';

function pairError(
  kind: PairErrorKind,
  home: string,
  reason: string,
): PortholeError<PairErrorKind> {
  return new PortholeError(kind, `pairing failed: ${reason}`, { home, reason });
}

/**
 * Pairs `identity` with the home named in `code`. `extra` tunes the connect (bind IP, sockets).
 * Resolves with the KnownHome to store (addHome); rejects with a pairing PortholeError.
 */
export async function pair(
  env: Env,
  identity: Identity,
  code: PairingCode,
  extra: Partial<ConnectOptions> = {},
  wallClock: () => number = Date.now,
): Promise<KnownHome> {
  const id = codeId(code.secret);
  const r = await connectAsync(env, {
    ...extra,
    home: code.homeId,
    rendezvous: code.rendezvous,
    trust: clientTrust(identity, { codeId: id, secret: code.secret }),
  });
  if (!r.ok) throw pairError('pairing-unreachable', code.homeId, r.error);
  try {
    const ch = await openSecureChannel(
      r.connection,
      identity,
      code.home.dhPublic,
      env.clock,
      pairingProof(identity, id, code.secret),
    );
    ch.close();
  } catch (e) {
    r.connection.close();
    throw pairError('pairing-refused', code.homeId, (e as Error).message);
  }
  return {
    homeId: code.homeId,
    edPublic: Buffer.from(code.home.edPublic).toString('base64url'),
    dhPublic: Buffer.from(code.home.dhPublic).toString('base64url'),
    rendezvous: formatAddr(code.rendezvous),
    addedAt: new Date(wallClock()).toISOString(),
  };
}
