// What one relay gives to strangers. Sized for device control and state pushes, not video:
// a command or a state push is one Noise frame of ~100–1,100 bytes; a phone watching a busy
// home for an hour (one push per second of ~1 KiB) moves ~3.6 MB. So 4 MiB and 1 h per session,
// and a session that is quiet for 2 min (keepalives come every 25 s) is gone. Counts keep one
// address or one home from taking the relay: 8 sessions per client IP (a household behind one
// NAT), 32 per home (every member of the family, several devices each), 10,000 in all (~10 MB of
// state at the measured per-session cost, see bench/relay.ts).
import type { RetransmitOptions } from '../net/retransmit.js';
import type { RateLimitOptions } from '../util/rate-limit.js';

export interface RelayLimits {
  /** Payload bytes per session, both directions together. */
  maxSessionBytes: number;
  maxSessionMs: number;
  /** Closed when no frame (keepalives included) crossed it for this long. */
  idleMs: number;
  maxSessionsPerIp: number;
  maxSessionsPerHome: number;
  maxSessions: number;
  /** The offer to the home is re-sent on this schedule until it answers, then given up. */
  offerRetransmit: RetransmitOptions;
  /** New sessions per client IP (each one makes the home check a signature). */
  opensPerIp: RateLimitOptions;
  /** Offers per home, as for assists at the rendezvous. */
  offersPerHome: RateLimitOptions;
  /** How often caps on time are checked. */
  sweepMs: number;
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxSessionBytes: 4 * 1024 * 1024,
  maxSessionMs: 60 * 60_000,
  idleMs: 120_000,
  maxSessionsPerIp: 8,
  maxSessionsPerHome: 32,
  maxSessions: 10_000,
  offerRetransmit: { rtoMs: 300, maxRtoMs: 1200, maxSends: 5 },
  opensPerIp: { ratePerSec: 2, burst: 10, maxKeys: 100_000 },
  offersPerHome: { ratePerSec: 5, burst: 20, maxKeys: 100_000 },
  sweepMs: 1000,
};
