// Size limits and the home id syntax shared by every message family.

/** Largest datagram we send or accept: fits every path MTU without fragmentation. */
export const MAX_DATAGRAM = 1200;
export const MAX_AUTH = 255;
/**
 * A `data` payload (one Noise frame on a punched path): 1,400 like a relayed one (docs/seams.md §8),
 * so a stream datagram (UDX's 1,200-byte base MTU) fits one frame. Only `data` and `relayData`
 * datagrams may exceed MAX_DATAGRAM (up to MAX_PATH_DATAGRAM); an older peer drops them.
 */
export const MAX_DATA = 1400;
/** Largest `data` datagram: 1,500-byte MTU less IPv6 and UDP headers. */
export const MAX_PATH_DATAGRAM = 1452;
export const MAX_LOCALS = 4;
/** Size every request to the rendezvous is padded to: covers the largest answer (no amplification). */
export const REQUEST_PAD = 128;

export const HOME_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
