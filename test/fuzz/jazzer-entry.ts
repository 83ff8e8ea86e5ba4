// The module jazzer loads (scripts/fuzz.mjs): the target named by PORTHOLE_FUZZ_TARGET.
import { loadTargets } from './registry.js';

const name = process.env.PORTHOLE_FUZZ_TARGET;
if (!name) throw new Error('set PORTHOLE_FUZZ_TARGET to a target name');
const [t] = await loadTargets([name]);

// Executions counted here, for runs where libFuzzer prints no final count (jazzer's async mode:
// `upnp`). A line every 2^16 calls (the last one survives a killed run) and one at exit.
let calls = 0;
const say = () => process.stderr.write(`porthole-fuzz: ${calls} executions\n`);
process.on('exit', say);

export function fuzz(data: Buffer): void | Promise<void> {
  if ((++calls & 0xffff) === 0) say();
  return t?.fuzz(data);
}
