// Records the committed fuzz corpus (test/fuzz/corpus/<target>/): each target's representative
// inputs (its seeds()), plus real traffic — the loopback demo (`porthole demo`: rendezvous, home
// and client over real UDP) run under scripts/fuzz-tap.mjs, its datagrams sorted by what decodes
// them. Small by design: a few dozen files per target, deduplicated by content.
//   npm run build && node dist/test/fuzz/record-seeds.js [--no-demo] [TARGET…]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRpc } from '../../src/devices/rpc-wire.js';
import { decodeStun, isStun } from '../../src/discovery/stun-codec.js';
import { frame } from '../../src/relay/frames.js';
import { decode, type Message } from '../../src/wire/messages.js';
import { CORPUS_DIR, loadTargets, ROOT } from './registry.js';

const PER_KIND = 3;
const written = new Map<string, number>();

function save(target: string, prefix: string, data: Uint8Array): void {
  const dir = join(CORPUS_DIR, target);
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha1').update(data).digest('hex').slice(0, 12);
  writeFileSync(join(dir, `${prefix}-${hash}`), data);
  written.set(target, (written.get(target) ?? 0) + 1);
}

/** Keeps at most PER_KIND captures of each kind (message type, first byte…). */
function sampler(): (kind: string) => boolean {
  const seen = new Map<string, number>();
  return (kind) => {
    const n = seen.get(kind) ?? 0;
    seen.set(kind, n + 1);
    return n < PER_KIND;
  };
}

function demoCapture(): Buffer[] {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-tap-'));
  const r = spawnSync(
    process.execPath,
    ['--import', join(ROOT, 'scripts/fuzz-tap.mjs'), join(ROOT, 'bin/porthole.js'), 'demo'],
    {
      env: { ...process.env, PORTHOLE_TAP_DIR: dir },
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 60_000,
    },
  );
  if (r.status !== 0) throw new Error(`the demo failed (exit ${r.status}): no capture`);
  const out = readdirSync(dir)
    .sort()
    .map((f) => readFileSync(join(dir, f)));
  rmSync(dir, { recursive: true, force: true });
  return out;
}

function classify(datagrams: Buffer[]): void {
  const wireKind = sampler();
  const stunKind = sampler();
  const rpcKind = sampler();
  const frames: Uint8Array[] = [];
  for (const d of datagrams) {
    if (isStun(d)) {
      const s = decodeStun(d);
      if (stunKind(s.ok ? `${s.msg.cls}-${s.msg.method}` : 'bad')) save('stun', 'cap', d);
      continue;
    }
    const r = decode(d);
    if (!r.ok) continue;
    const msg: Message = r.msg;
    if (wireKind(msg.type)) {
      save('wire', 'cap', d);
      if (frames.length < 12) frames.push(d);
    }
    if (msg.type === 'data' || msg.type === 'relayData') {
      const rpc = decodeRpc(msg.payload);
      if (rpc && rpcKind(rpc.t)) save('rpc-wire', 'cap', msg.payload);
    }
  }
  // The captured datagrams as a TCP relay stream, cut into two chunks.
  const stream = Buffer.concat(frames.map((f) => frame(f)));
  if (stream.length) {
    const cut = Math.min(200, stream.length);
    const rest = stream.subarray(cut, cut + 255);
    save(
      'relay-frames',
      'cap',
      Buffer.concat([
        Buffer.from([cut]),
        stream.subarray(0, cut),
        Buffer.from([rest.length]),
        rest,
      ]),
    );
  }
}

const noDemo = process.argv.includes('--no-demo');
// Target names (`… record-seeds.js --no-demo upnp ha-ws`): only their seeds are written.
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
for (const t of await loadTargets(only)) {
  for (const s of t.seeds?.() ?? []) {
    // A seed must itself keep the contract.
    await t.fuzz(Buffer.from(s));
    save(t.name, 'seed', s);
  }
}
if (!noDemo) classify(demoCapture());
for (const [t, n] of [...written].sort()) console.log(`${t}: ${n} files`);
