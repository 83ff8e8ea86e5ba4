// Writing a state file: atomically (temporary file, then rename), mode 0600. Its own module so
// that what only writes a file (the NAT cache, status.json, remembered paths) does not load the
// state dir's key handling with it (the CLI's `--help` loads neither).
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `value` as `dir/file` atomically (temporary file, then rename), mode 0600. */
export function writeJson(dir: string, file: string, value: unknown): void {
  const path = join(dir, file);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
