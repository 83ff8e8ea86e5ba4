// Size limits and the home id syntax shared by every message family.

/** Largest datagram we send or accept: fits every path MTU without fragmentation. */
export const MAX_DATAGRAM = 1200;
export const MAX_AUTH = 255;
export const MAX_DATA = 1100;
export const MAX_LOCALS = 4;
/** Size every request to the rendezvous is padded to: covers the largest answer (no amplification). */
export const REQUEST_PAD = 128;

export const HOME_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
