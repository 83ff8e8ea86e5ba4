// Transaction ids for requests that need an answer: one counter per role, started at a random
// point drawn from the Env's Random (seeded in the simulator), so ids are unpredictable to an
// off-path sender yet cost one draw, not one per request.
import { toHex } from '../wire/bytes.js';
import type { SessionId } from '../wire/messages.js';
import type { Random } from './types.js';

export class TxIds {
  private seq: number;

  constructor(rng: Random) {
    this.seq = rng.int(0x7fffffff);
  }

  next(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.seq;
  }
}

/** 8 random bytes as 16 hex characters: a traversal round's, candidates query's or relayed session's id. */
export function newSessionId(rng: Random): SessionId {
  return toHex(rng.bytes(8));
}
