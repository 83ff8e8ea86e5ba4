// The home's end of relayed sessions (issue 10), wired to the agent: offers only from the
// rendezvous or relay node it registered with (`isRelay`: its keepalive mappings are the way in), decided exactly as an
// assist (secure homes: only paired clients or a live pairing code; open homes: anyone).
import type { Path } from '../net/path.js';
import type { SocketAddr } from '../net/types.js';
import { HomeRelay } from '../relay/home-relay.js';
import type { Message } from '../wire/messages.js';
import type { HomeOptions } from './config.js';

export type RelayedPathHandler = (path: Path, client: SocketAddr) => void;

export function homeRelay(
  opts: HomeOptions,
  send: (msg: Message, to: SocketAddr) => void,
  isRelay: (from: SocketAddr) => boolean,
  onPath: RelayedPathHandler,
): HomeRelay {
  const trust = opts.trust;
  return new HomeRelay({
    send,
    isRelay,
    authorize: (offer) => {
      if (!trust) return { ok: true };
      if (!trust.authorizeRelay) return { ok: false, reason: 'this home does not accept relays' };
      return trust.authorizeRelay(offer);
    },
    onPath,
  });
}
