import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCachedNat, saveCachedNat } from '../../src/cli/nat-cache.js';

test("the client's NAT class is cached in its state dir for 10 minutes; junk is ignored", () => {
  const dir = mkdtempSync(join(tmpdir(), 'nat-cache-'));
  try {
    assert.equal(loadCachedNat(dir), undefined);
    const nat = {
      mapping: 'independent',
      filtering: 'address-port',
      allocation: 'random',
    } as const;
    saveCachedNat(dir, nat, 1_000_000);
    assert.deepEqual(loadCachedNat(dir, 1_000_000 + 60_000), nat);
    assert.equal(loadCachedNat(dir, 1_000_000 + 11 * 60_000), undefined);
    saveCachedNat(dir, { mapping: 'unknown', filtering: 'unknown', allocation: 'unknown' }, 2e6);
    assert.deepEqual(loadCachedNat(dir, 1_000_000 + 1000), nat, 'unknown is never cached');
    writeFileSync(join(dir, 'nat.json'), '{"at": "x"');
    assert.equal(loadCachedNat(dir), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
