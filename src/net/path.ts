// A Path (docs/seams.md §3): one way to the peer — punched, relayed, … — that carries opaque
// frames. The Noise channel runs over any of them; a path switch moves the channel between them.
import type { MessageChannel } from './channel.js';

export type PathKind = 'direct' | 'punched' | 'relayed' | 'ipv6' | 'mapped' | 'datachannel';

/**
 * Bytes one `send()` may carry on every path: one sealed Noise frame of up to 1,379 plaintext
 * bytes (secure/noise-frames.ts MAX_PLAINTEXT), the relay's MAX_RELAY_PAYLOAD and a punched
 * `data` payload's MAX_DATA (docs/seams.md §8; test/streams/relay.test.ts sends one across every
 * path). UDX's MTU probing finds what the network under a punched path carries below this.
 */
export const PATH_MAX_PAYLOAD = 1400;

export interface Path extends MessageChannel {
  readonly kind: PathKind;
  /** Bytes one send() may carry on this path (PATH_MAX_PAYLOAD on every path today). */
  readonly maxPayload: number;
  /** For reports, e.g. "198.51.100.7:40001" or "relay udp 203.0.113.10:7400". */
  readonly remote: string;
  onClose(cb: (reason: string) => void): void;
  close(): void;
}
