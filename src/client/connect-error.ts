// Why a connect failed: one kind per cause, the human text derived from the kind and its details
// in this one place. Code (and tests) decide on `kind`; the CLI prints `message`.
import { PortholeError } from '../errors.js';
import { ErrorCode } from '../wire/messages.js';

export type ConnectErrorKind =
  | 'bad-home-id'
  | 'unknown-home'
  | 'refused'
  | 'rate-limited'
  | 'no-rendezvous'
  | 'no-path'
  /** Both NATs map per destination (issue 9): only a relay can join them. */
  | 'needs-relay'
  /** The home said goodbye (issue 21 item 9): it stopped, not merely unreachable. */
  | 'home-offline'
  | 'cancelled';

export interface ConnectErrorDetail {
  home: string;
  /** The rendezvous, as host:port. */
  rendezvous?: string;
  /** The refusal or busy text the other side sent. */
  reason?: string;
  /** Who refused: the home (not paired, bad code…) or the rendezvous itself. */
  by?: 'home' | 'rendezvous';
  rounds?: number;
  /** What discovery learned, as labels (the failure text names them). */
  homeNat?: string;
  clientNat?: string;
}

export type ConnectError = PortholeError<ConnectErrorKind>;

function text(kind: ConnectErrorKind, d: ConnectErrorDetail): string {
  switch (kind) {
    case 'bad-home-id':
      return `home id "${d.home}" is not valid (1-64 of A-Z a-z 0-9 . _ -)`;
    case 'unknown-home':
      return `home ${d.home} is not registered with the rendezvous (is the home agent running?)`;
    case 'refused':
      return d.by === 'home' ? `the home refused: ${d.reason}` : `rendezvous refused: ${d.reason}`;
    case 'rate-limited':
      return `rendezvous busy: ${d.reason}`;
    case 'no-rendezvous':
      return `rendezvous ${d.rendezvous} did not answer; is it running and reachable?`;
    case 'no-path':
      if (d.rounds === undefined && d.reason) return `no path to home ${d.home}: ${d.reason}`;
      return `no path to home ${d.home} after ${d.rounds} assisted rounds (${learned(d)})`;
    case 'needs-relay':
      return `no punching method can reach home ${d.home}: ${d.reason}; a relay is needed`;
    case 'home-offline':
      return `home ${d.home} is offline: it stopped and said goodbye to the rendezvous`;
    case 'cancelled':
      return 'cancelled';
  }
}

/** What the failure text can say about the NATs: what discovery learned, or that it did not. */
function learned(d: ConnectErrorDetail): string {
  const known = (l: string | undefined): boolean => l !== undefined && l !== 'unknown';
  if (!known(d.homeNat) && !known(d.clientNat))
    return 'the NAT classes are unknown; both sides may be behind symmetric NATs';
  return `home: ${d.homeNat ?? 'unknown'}, client: ${d.clientNat ?? 'unknown'}`;
}

export function connectError(kind: ConnectErrorKind, detail: ConnectErrorDetail): ConnectError {
  return new PortholeError(kind, text(kind, detail), { ...detail });
}

/** What an error from the rendezvous means for the attempt: a failure, or retry later (busy). */
export function fromRendezvousError(
  code: ErrorCode,
  message: string,
  toAssist: boolean,
): { retry: true } | { retry: false; kind: ConnectErrorKind; detail: Partial<ConnectErrorDetail> } {
  if (code === ErrorCode.UnknownHome) return { retry: false, kind: 'unknown-home', detail: {} };
  if (code === ErrorCode.HomeOffline) return { retry: false, kind: 'home-offline', detail: {} };
  if (code === ErrorCode.NeedsRelay)
    return { retry: false, kind: 'needs-relay', detail: { reason: message } };
  if (code === ErrorCode.Unauthorized)
    return { retry: false, kind: 'refused', detail: { by: 'home', reason: message } };
  // Busy is not a failed punch: the attempt retries without spending a round.
  if ((code === ErrorCode.Busy || code === ErrorCode.RateLimited) && toAssist)
    return { retry: true };
  return { retry: false, kind: 'refused', detail: { by: 'rendezvous', reason: message } };
}
