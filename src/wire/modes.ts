// Who sprays in a round (the punch mode), and the `tried` bitmask of an assist. Append only:
// the index in MODES is the wire byte.
import { DecodeError, type Reader } from './codec.js';

/**
 * Who sprays in a round. 'patent': the home sprays ports of the client's IP and the client knocks
 * from many sockets. 'reverse': the client sprays ports of the home's IP and the home knocks from
 * many sockets — the way in when the home's NAT is the symmetric one. 'knock' (both cone): a few
 * packets each way from one socket each. 'predict': like 'patent' or 'reverse' (the side with
 * the sequential allocator is knocked at), predicted ports first (punch/predict.ts).
 * Append only: the index is the wire byte.
 */
export type PunchMode = 'patent' | 'reverse' | 'knock' | 'predict';
export const MODES: readonly PunchMode[] = ['patent', 'reverse', 'knock', 'predict'];
export function readMode(r: Reader): PunchMode {
  const m = MODES[r.u8()];
  if (!m) throw new DecodeError('unknown punch mode');
  return m;
}

/** The `tried` bitmask of an assist: bit i = MODES[i]. */
export function modeMask(modes: readonly PunchMode[]): number {
  return modes.reduce((m, mode) => m | (1 << MODES.indexOf(mode)), 0);
}
export function modesOf(mask: number): PunchMode[] {
  return MODES.filter((_, i) => (mask & (1 << i)) !== 0);
}
