// Size limits and the home id syntax shared by every message family.

/** Largest datagram we send or accept: fits every path MTU without fragmentation. */
export const MAX_DATAGRAM = 1200;
/**
 * Largest relayed payload (docs/seams.md §8): a relayData datagram of at most
 * MAX_RELAY_DATAGRAM bytes fits a 1,500-byte Ethernet MTU under IPv6 + UDP headers (1,452).
 */
export const MAX_RELAY_PAYLOAD = 1400;
/** header (4) + session (8) + length (2) + payload: the only message allowed over MAX_DATAGRAM. */
export const MAX_RELAY_DATAGRAM = 4 + 8 + 2 + MAX_RELAY_PAYLOAD;
export const MAX_AUTH = 255;
/**
 * A `data` payload (one Noise frame on a punched path): 1,400 like a relayed one (docs/seams.md §8),
 * so a stream datagram (UDX's 1,200-byte base MTU) fits one frame. Only `data` and `relayData`
 * datagrams may exceed MAX_DATAGRAM; an older peer drops them as undecodable.
 */
export const MAX_DATA = 1400;
/** header (4) + length (2) + payload: a `data` datagram (the other one allowed over MAX_DATAGRAM). */
export const MAX_PATH_DATAGRAM = 4 + 2 + MAX_DATA;
export const MAX_LOCALS = 4;
/** Size every request to the rendezvous is padded to: covers the largest answer (no amplification). */
export const REQUEST_PAD = 128;

export const HOME_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
