// `home status` reading status.json: not running (no file, stopped, pid gone), corrupt, running.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readHomeStatus, STATUS_FILE, type HomeStatus } from '../../src/home/status-file.js';

const base: HomeStatus = {
  id: 'ph-x',
  secure: true,
  pid: 4242,
  startedAt: '2026-11-30T00:00:00.000Z',
  updatedAt: '2026-11-30T00:01:00.000Z',
  registration: { registered: true, rendezvous: '192.0.2.1:7400', nat: 'unknown' },
  portmap: { state: 'off' },
  ipv6: [],
  advertised: [],
};

function dirWith(content?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-status-unit-'));
  if (content !== undefined) writeFileSync(join(dir, STATUS_FILE), content);
  return dir;
}

test('status file: missing, corrupt, stopped, crashed and running homes', () => {
  const alive = (pid: number) => pid === 4242;
  const none = readHomeStatus(dirWith(), alive);
  assert.equal(none.running, false);
  assert.match(!none.running ? none.message : '', /not running \(no status\.json/);

  const corrupt = readHomeStatus(dirWith('{"nope":'), alive);
  assert.equal(corrupt.running, false);
  assert.match(!corrupt.running ? corrupt.message : '', /is not a home status file/);
  assert.equal(readHomeStatus(dirWith('[]'), alive).running, false);

  const stopped = readHomeStatus(dirWith(JSON.stringify({ ...base, stoppedAt: 'T' })), alive);
  assert.match(!stopped.running ? stopped.message : '', /stopped at T/);
  assert.ok(stopped.status);

  const crashed = readHomeStatus(dirWith(JSON.stringify({ ...base, pid: 7 })), alive);
  assert.match(!crashed.running ? crashed.message : '', /pid 7 is gone/);

  const running = readHomeStatus(dirWith(JSON.stringify(base)), alive);
  assert.equal(running.running, true);
  assert.deepEqual(running.status, base);
});

test('status file of the wrong shape is not a status (found by fuzzing: `home status` met a missing field)', () => {
  const alive = () => true;
  for (const bad of [
    { pid: 4242 },
    { ...base, registration: null },
    { ...base, portmap: { state: 7 } },
    { ...base, ipv6: 'none' },
    { ...base, advertised: [1] },
    { ...base, pid: 1.5 },
  ]) {
    const r = readHomeStatus(dirWith(JSON.stringify(bad)), alive);
    assert.equal(r.running, false, JSON.stringify(bad));
    assert.equal(r.status, undefined);
    assert.match(!r.running ? r.message : '', /is not a home status file/);
  }
});
