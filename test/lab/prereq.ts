// Shared by the lab tests: they need root and network namespaces. CI is root and runs them;
// anywhere else every lab test fails with the reason, unless PORTHOLE_SKIP_LAB=1 is set explicitly.
import { checkLabPrerequisites } from '../../lab/netns.js';

export const skipLab: string | false =
  process.env.PORTHOLE_SKIP_LAB === '1' ? 'PORTHOLE_SKIP_LAB=1' : false;

let failure: Error | null | undefined;

/** Throws a clear error once per test file if the lab cannot run here. */
export function requireLab(): void {
  if (failure === undefined) {
    try {
      checkLabPrerequisites();
      failure = null;
    } catch (e) {
      failure = e as Error;
    }
  }
  if (failure) {
    throw new Error(
      `the real-NAT lab could not run: ${failure.message}. ` +
        'Run the tests as root, or set PORTHOLE_SKIP_LAB=1 to skip the lab explicitly.',
    );
  }
}
