// The module jazzer loads (scripts/fuzz.mjs): the target named by PORTHOLE_FUZZ_TARGET.
import { loadTargets } from './registry.js';

const name = process.env.PORTHOLE_FUZZ_TARGET;
if (!name) throw new Error('set PORTHOLE_FUZZ_TARGET to a target name');
const [t] = await loadTargets([name]);

export function fuzz(data: Buffer): void | Promise<void> {
  return t?.fuzz(data);
}
