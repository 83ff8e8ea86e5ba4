// Pairing: reach the home with the one-time code exactly as a connect reaches it (issue 21 item
// 2: the same ladder — remembered paths aside — NAT classes learned, the relay when nothing else
// works, over whichever transport reaches the rendezvous): the assist or relay request carries
// the code's mac, the code's proof rides inside the Noise handshake (which also proves the
// home's key), and the record the client keeps about the home is handed back.
import { isPortholeError, PortholeError } from '../errors.js';
import type { Env } from '../net/types.js';
import type { Identity } from '../secure/keys.js';
import { codeId, type PairingCode } from '../secure/pairing-code.js';
import { pairingProof } from '../secure/pairing-proof.js';
import type { KnownHome } from '../secure/state.js';
import { formatAddr } from '../wire/addr.js';
import type { ConnectOptions } from './connector.js';
import { closeReached, reach, type Reached } from './reach.js';
import type { RelayChoice } from './relay-choice.js';

export type PairErrorKind = 'pairing-unreachable' | 'pairing-refused';

function pairError(
  kind: PairErrorKind,
  home: string,
  reason: string,
): PortholeError<PairErrorKind> {
  return new PortholeError(kind, `pairing failed: ${reason}`, { home, reason });
}

/** How pairing reaches the home: reach() with a relay choice (the CLI picks the transport). */
export type PairReach = (
  opts: Omit<ConnectOptions, 'trust'>,
  paired: Parameters<typeof reach>[2],
  relay: RelayChoice,
) => Promise<Reached>;

/**
 * Pairs `identity` with the home named in `code`. `extra` tunes the connect (bind IP, sockets,
 * discovery); `relay` defaults to `auto` over UDP; `via` lets the CLI choose the transport.
 * Resolves with the KnownHome to store (addHome); rejects with a pairing PortholeError.
 */
export async function pair(
  env: Env,
  identity: Identity,
  code: PairingCode,
  extra: Partial<ConnectOptions> = {},
  wallClock: () => number = Date.now,
  relay: RelayChoice = { mode: 'auto', transport: 'udp' },
  via: PairReach = (opts, paired, r) => reach(env, opts, paired, r),
): Promise<KnownHome> {
  const id = codeId(code.secret);
  const paired = {
    identity,
    homeDh: code.home.dhPublic,
    pairing: { codeId: id, secret: code.secret, proof: pairingProof(identity, id, code.secret) },
  };
  let r: Reached;
  try {
    r = await via({ ...extra, home: code.homeId, rendezvous: code.rendezvous }, paired, relay);
  } catch (e) {
    const refused = isPortholeError(e, 'handshake-failed');
    throw pairError(
      refused ? 'pairing-refused' : 'pairing-unreachable',
      code.homeId,
      (e as Error).message,
    );
  }
  // The handshake carried the proof: the home has written us down. Nothing more to say.
  r.channel.close();
  closeReached(r);
  return {
    homeId: code.homeId,
    edPublic: Buffer.from(code.home.edPublic).toString('base64url'),
    dhPublic: Buffer.from(code.home.dhPublic).toString('base64url'),
    rendezvous: formatAddr(code.rendezvous),
    addedAt: new Date(wallClock()).toISOString(),
  };
}
