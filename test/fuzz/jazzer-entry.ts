// The module jazzer loads (scripts/fuzz.mjs): the target named by PORTHOLE_FUZZ_TARGET.
import { loadTargets } from './registry.js';

const name = process.env.PORTHOLE_FUZZ_TARGET;
if (!name) throw new Error('set PORTHOLE_FUZZ_TARGET to a target name');
const [t] = await loadTargets([name]);

// Executions counted here, for runs where libFuzzer prints no final count (jazzer's async mode:
// `upnp`, where libFuzzer's exit skips Node's 'exit' event). A line every 1,024 calls, one when
// the count reaches PORTHOLE_FUZZ_RUNS (scripts/fuzz.mjs passes FUZZ_RUNS) and one at exit.
let calls = 0;
const runs = Number(process.env.PORTHOLE_FUZZ_RUNS ?? 0);
const say = () => process.stderr.write(`porthole-fuzz: ${calls} executions\n`);
process.on('exit', say);

export function fuzz(data: Buffer): void | Promise<void> {
  if ((++calls & 0x3ff) === 0 || calls === runs) say();
  return t?.fuzz(data);
}
