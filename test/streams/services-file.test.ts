// services.json as written by hand (found by the fuzz target services-file): `null`, a list or a
// number threw a TypeError from loadServices, and text that is not JSON a bare SyntaxError; each
// is now a ServiceSpecError naming the file, which `home serve` prints and a running home logs
// (keeping the services it had).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadServices, ServiceSpecError } from '../../src/streams/services.js';

test('services.json: null, a list, a number or non-JSON is a ServiceSpecError naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-services-'));
  try {
    for (const text of ['null', '[]', '7', '"x"', '{"services": 1}', '{', '']) {
      writeFileSync(join(dir, 'services.json'), text);
      assert.throws(
        () => loadServices(dir),
        (e: unknown) =>
          e instanceof ServiceSpecError && e.message.includes(join(dir, 'services.json')),
        text,
      );
    }
    writeFileSync(
      join(dir, 'services.json'),
      JSON.stringify({
        services: [{ name: 'ha', host: '127.0.0.1', port: 8123, allow: 'all-paired' }],
      }),
    );
    assert.deepEqual(loadServices(dir).services, [
      { name: 'ha', host: '127.0.0.1', port: 8123, allow: 'all-paired' },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
