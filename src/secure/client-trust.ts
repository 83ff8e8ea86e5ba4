// The client's side of trust: signed assist requests, and the Noise initiator bound to the
// home's key from pairing.
import type { Clock, SocketAddr } from '../net/types.js';
import type { MessageChannel } from '../net/channel.js';
import { assistAuth, candidatesAuth, relayAuth } from './auth.js';
import type { Identity } from './keys.js';
import { secureClient, type SecureChannel } from './noise-channel.js';
import type { ClientTrust } from './trust.js';

export function clientTrust(
  identity: Identity,
  pairing?: { codeId: string; secret: Uint8Array },
  wallClock: () => number = Date.now,
): ClientTrust {
  return {
    assistAuth: (homeId: string, session: string, observed: SocketAddr) =>
      assistAuth(identity, {
        homeId,
        session,
        client: observed,
        now: wallClock(),
        ...(pairing ? { pairing } : {}),
      }),
    candidatesAuth: (homeId: string, session: string, list: Uint8Array) =>
      candidatesAuth(identity, {
        homeId,
        session,
        list,
        now: wallClock(),
        ...(pairing ? { pairing } : {}),
      }),
  };
}

/** relayOpen.auth for a relayed session (relay/client-path.ts's `auth` option). */
export function clientRelayAuth(
  identity: Identity,
  pairing?: { codeId: string; secret: Uint8Array },
  wallClock: () => number = Date.now,
): (homeId: string, session: string) => Uint8Array {
  return (homeId, session) =>
    relayAuth(identity, { homeId, session, now: wallClock(), ...(pairing ? { pairing } : {}) });
}

/** Runs the Noise handshake over `transport`; resolves with the secure channel or rejects. */
export function openSecureChannel(
  transport: MessageChannel,
  identity: Identity,
  homeStatic: Uint8Array,
  clock: Clock,
  payload?: Uint8Array,
): Promise<SecureChannel> {
  return new Promise((resolve, reject) => {
    const ch = secureClient(transport, {
      staticKeys: { publicKey: identity.dhPublic, secretKey: identity.dhSecret },
      remoteStatic: homeStatic,
      clock,
      ...(payload ? { payload } : {}),
    });
    ch.onReady(() => resolve(ch));
    ch.onError(reject);
  });
}
