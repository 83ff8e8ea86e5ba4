// What one relay gives to strangers (docs/seams.md §8). Sized for device control, state pushes
// and the streams of issue 19 (a Home Assistant frontend's first load is ~5–10 MB):
// - Before the home accepts a session it counts against the client's IP (opens per second,
//   8 *pending* sessions per IP): nothing about the client is proven yet.
// - Once the home accepted (it checked the client's Ed25519 signature, so the key in the request
//   is real) it counts against (home id, client key): 8 per key per home, 64 per home, 10,000 in
//   all (~12 MB of state at the measured per-session cost, see bench/relay.ts) — never against
//   the IP, so many phones behind one carrier IP are not refused.
// - Bytes: a token bucket per home over the relayed payload of all its sessions, both
//   directions: 1 MiB/s sustained, 16 MiB burst. Over it a frame is dropped and counted, never
//   answered or closed: the stream's congestion control backs off. The old per-session byte cap
//   stays as an option, off by default (0).
// - Time: 1 h per session; a session quiet for 2 min (keepalives come every 25 s) is gone.
import type { RetransmitOptions } from '../net/retransmit.js';
import type { RateLimitOptions } from '../util/rate-limit.js';

export interface RelayLimits {
  /** Payload bytes per session, both directions together; 0 = no per-session cap (default). */
  maxSessionBytes: number;
  /** Relayed payload bytes per second per home (all its sessions, both directions). */
  homeBytesPerSec: number;
  /** The per-home bucket's depth (bytes a home may move at once before the rate applies). */
  homeBurstBytes: number;
  maxSessionMs: number;
  /** Closed when no frame (keepalives included) crossed it for this long. */
  idleMs: number;
  /** Sessions offered to a home and not yet accepted, per client IP. */
  maxPendingPerIp: number;
  /** Accepted sessions per (home id, client key). */
  maxSessionsPerKey: number;
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
  maxSessionBytes: 0,
  homeBytesPerSec: 1024 * 1024,
  homeBurstBytes: 16 * 1024 * 1024,
  maxSessionMs: 60 * 60_000,
  idleMs: 120_000,
  maxPendingPerIp: 8,
  maxSessionsPerKey: 8,
  maxSessionsPerHome: 64,
  maxSessions: 10_000,
  offerRetransmit: { rtoMs: 300, maxRtoMs: 1200, maxSends: 5 },
  opensPerIp: { ratePerSec: 2, burst: 10, maxKeys: 100_000 },
  offersPerHome: { ratePerSec: 5, burst: 20, maxKeys: 100_000 },
  sweepMs: 1000,
};
