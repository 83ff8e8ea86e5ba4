// The short run's input generator (no coverage feedback: `npm test` stays fast and needs no
// native fuzzer): byte-level mutations of the committed corpus, from a seeded xorshift so a
// failure reproduces. The long, coverage-guided run is jazzer's (scripts/fuzz.mjs).
import { SeqRandom } from '../support/fakes.js';

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40];

export class Mutator {
  private readonly rng: SeqRandom;
  constructor(
    private readonly pool: Buffer[],
    private readonly maxLen: number,
    seed: number,
  ) {
    this.rng = new SeqRandom(seed);
  }

  next(): Buffer {
    const r = this.rng;
    const base = this.pool.length
      ? (this.pool[r.int(this.pool.length)] as Buffer)
      : Buffer.alloc(0);
    if (r.int(16) === 0) return Buffer.from(r.bytes(r.int(Math.min(this.maxLen, 512))));
    let b: Buffer = Buffer.from(base);
    const rounds = 1 + r.int(4);
    for (let i = 0; i < rounds; i++) b = this.once(b);
    return b.length > this.maxLen ? b.subarray(0, this.maxLen) : b;
  }

  private once(b: Buffer): Buffer {
    const r = this.rng;
    const at = b.length ? r.int(b.length) : 0;
    switch (r.int(8)) {
      case 0: // flip a bit
        if (b.length) b[at] = (b[at] as number) ^ (1 << r.int(8));
        return b;
      case 1: // interesting byte
        if (b.length) b[at] = INTERESTING[r.int(INTERESTING.length)] as number;
        return b;
      case 2: // truncate
        return b.subarray(0, at);
      case 3: // insert random bytes
        return Buffer.concat([
          b.subarray(0, at),
          Buffer.from(r.bytes(1 + r.int(8))),
          b.subarray(at),
        ]);
      case 4: // erase a run
        return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r.int(8))]);
      case 5: {
        // splice with another corpus entry
        const other = this.pool[r.int(this.pool.length)] ?? Buffer.alloc(0);
        return Buffer.concat([b.subarray(0, at), other.subarray(r.int(other.length + 1))]);
      }
      case 6: // duplicate a run
        return Buffer.concat([
          b.subarray(0, at),
          b.subarray(at, at + 1 + r.int(16)),
          b.subarray(at),
        ]);
      default: // random byte
        if (b.length) b[at] = r.int(256);
        return b;
    }
  }
}
