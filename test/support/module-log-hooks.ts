// The off-thread load hook of module-log.ts (Node < 22.15): logs each loaded URL.
import { appendFileSync } from 'node:fs';

export async function load(
  url: string,
  context: unknown,
  next: (url: string, context: unknown) => Promise<unknown>,
): Promise<unknown> {
  const file = process.env.PORTHOLE_MODULE_LOG;
  if (file) appendFileSync(file, url + '\n');
  return next(url, context);
}
