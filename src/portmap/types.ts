// Types shared by the router port-mapping room: one client per protocol behind one interface, and
// the state the mapper reports to the home.
import type { SocketAddr } from '../net/types.js';

export type PortmapProtocol = 'pcp' | 'natpmp' | 'upnp';

/** The home's `--portmap` flag. */
export type PortmapMode = 'auto' | 'off';
export const PORTMAP_MODES: readonly PortmapMode[] = ['auto', 'off'];

/** A UDP mapping the router granted: `external` forwards to the home's `internalPort`. */
export interface Mapping {
  readonly protocol: PortmapProtocol;
  readonly internalPort: number;
  readonly external: SocketAddr;
  /** Granted lifetime, seconds (the router may shorten what was asked). */
  readonly lifetimeS: number;
}

export interface MapRequest {
  /** The home's bound UDP port. */
  readonly internalPort: number;
  /** Asked-for external port (the same as internal first; routers may pick another). */
  readonly externalPort: number;
  readonly lifetimeS: number;
}

/**
 * Why a protocol gave no mapping. `absent`: nobody answered (or answered "unsupported version"):
 * try the next protocol. `refused`: the router speaks it but said no (result code in `reason`).
 */
export type MapFailure = { readonly kind: 'absent' | 'refused'; readonly reason: string };

export type MapOutcome =
  { readonly ok: true; readonly mapping: Mapping } | ({ readonly ok: false } & MapFailure);

/** One port-mapping protocol. Every call is bounded in time and never rejects. */
export interface PortMapClient {
  readonly protocol: PortmapProtocol;
  /** Creates or renews (same request again) a mapping. */
  map(req: MapRequest): Promise<MapOutcome>;
  /** Deletes the mapping; best effort, bounded. */
  unmap(mapping: Mapping): Promise<void>;
  /** Optional early start of slow discovery (UPnP's SSDP), so it overlaps the other tries. */
  prepare?(): void;
  /** Releases sockets and timers. */
  close(): void;
}

export type PortmapState = 'off' | 'probing' | 'mapped' | 'unavailable' | 'failed';

/** What the mapper reports on every change (also the shape for logs and `home` status). */
export interface PortmapStatus {
  readonly state: PortmapState;
  readonly protocol?: PortmapProtocol;
  /** Only when `state === 'mapped'`: the verified address clients may use. */
  readonly external?: SocketAddr;
  readonly lifetimeS?: number;
  readonly reason?: string;
}
