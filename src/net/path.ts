// A Path (docs/seams.md §3): one way to the peer — punched, relayed, … — that carries opaque
// frames. The Noise channel runs over any of them; a path switch moves the channel between them.
import type { MessageChannel } from './channel.js';

export type PathKind = 'direct' | 'punched' | 'relayed' | 'ipv6' | 'mapped' | 'datachannel';

/**
 * Plaintext bytes one `send()` may carry on every path today: one Noise frame, as the RPC uses
 * (docs/seams.md §8). A stream layer that wants more starts here and probes upward.
 */
export const PATH_MAX_PAYLOAD = 1024;

export interface Path extends MessageChannel {
  readonly kind: PathKind;
  /** Plaintext bytes one send() may carry on this path (PATH_MAX_PAYLOAD today). */
  readonly maxPayload: number;
  /** For reports, e.g. "198.51.100.7:40001" or "relay udp 203.0.113.10:7400". */
  readonly remote: string;
  onClose(cb: (reason: string) => void): void;
  close(): void;
}
