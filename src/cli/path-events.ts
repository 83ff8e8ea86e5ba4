// Path changes of a live channel as `client watch` reports them (issue 10): under --json one
// line per change, {"event":"path","path":"punched"|"relayed",…}; when the path ends under the
// channel (e.g. the relay's byte cap), the reason is printed and the command exits 1.
import type { PathSwitch } from '../client/path-switch.js';

export function reportPathEvents(paths: PathSwitch, json: boolean): void {
  paths.onChange((c) => {
    if (json)
      process.stdout.write(
        JSON.stringify({
          event: 'path',
          path: c.kind,
          remote: c.remote,
          reason: c.reason,
          ...(c.afterMs !== undefined ? { afterMs: c.afterMs } : {}),
        }) + '\n',
      );
    else process.stderr.write(`path: now ${c.kind} (${c.remote})\n`);
  });
  paths.onLost((p, reason) => {
    if (json)
      process.stdout.write(
        JSON.stringify({ event: 'path', path: 'closed', was: p.kind, reason }) + '\n',
      );
    else process.stderr.write(`porthole: the ${p.kind} path closed: ${reason}\n`);
    process.exit(1);
  });
}
