// Child of memory.test.ts (run with --expose-gc and a small --max-old-space-size): runs seeded
// trials of one pair and prints, as one JSON line, the heap used after a full GC at each trial
// count named in argv (e.g. `100 1000`). A trial that leaves its world behind makes it grow.
import { PATENT_PAIR_OPTIONS, runPair } from '../../src/sim/matrix.js';
import type { SimStrategy } from '../../src/sim/trial.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const strategy = process.argv[2] as SimStrategy;
const marks = process.argv.slice(3).map(Number);
const trials = Math.max(...marks);
const heapAt: Record<number, number> = {};
let done = 0;
runPair(
  'port',
  'symmetric',
  // Few sockets per trial keep the run short; what a trial leaves behind does not depend on them.
  { ...PATENT_PAIR_OPTIONS, trials, spray: 20, sockets: 20, strategy },
  () => {
    done++;
    if (marks.includes(done)) {
      gc();
      heapAt[done] = process.memoryUsage().heapUsed;
    }
  },
);
process.stdout.write(JSON.stringify(heapAt) + '\n');
