// The example service units parse cleanly with systemd's own checker (any warning fails).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const unitsDir = new URL('../../../deploy/systemd/', import.meta.url).pathname;

function verify(file: string): string {
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 60_000 });
  if (r.error)
    throw new Error(`cannot run systemd-analyze (apt-get install systemd): ${r.error.message}`);
  return `${r.stdout}${r.stderr}`.trim() + (r.status === 0 ? '' : `\nexit ${String(r.status)}`);
}

test('the checker itself catches a broken unit', () => {
  const bad = join(mkdtempSync(join(tmpdir(), 'ph-units-')), 'bad.service');
  writeFileSync(bad, '[Service]\nExecStart=/usr/bin/node x\nProtectSystem=bogus\n');
  assert.match(verify(bad), /bogus/);
});

for (const name of readdirSync(unitsDir).filter((f) => f.endsWith('.service'))) {
  test(`systemd-analyze verify ${name}: no warnings`, () => {
    assert.equal(verify(join(unitsDir, name)), '');
  });
}
