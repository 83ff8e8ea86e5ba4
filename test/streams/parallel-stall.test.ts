// Regression (the bench's parallel stall, docs/streams.md "Measured"): many streams opened at
// once over one session must all complete, none sitting without progress for long.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { after, test } from 'node:test';
import { echoServer, settled, streamWorld, udpPathPair, type StreamWorld } from './support.js';

const N = Number(process.env.STALL_N ?? 100);
const SIZE = Number(process.env.STALL_SIZE ?? 64 * 1024);

/** Kernel drops (receive buffer full) on this process's UDP sockets: /proc/net/udp's last column. */
function udpDrops(): string {
  try {
    const mine = new Set<string>();
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
        if (m) mine.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
    const rows = readFileSync('/proc/net/udp', 'utf8').trim().split('\n').slice(1);
    const out: string[] = [];
    for (const r of rows) {
      const f = r.trim().split(/\s+/);
      if (mine.has(f[9]!)) out.push(`${parseInt(f[1]!.split(':')[1]!, 16)}:${f[12]}`);
    }
    return out.join(' ');
  } catch {
    return '(no /proc/net/udp)';
  }
}

const worlds: StreamWorld[] = [];
after(async () => {
  for (const w of worlds) {
    await settled(w); // else a stream finishing its close holds the file ~13 s after close
    w.close();
  }
});

test(`${N} parallel streams all complete, no long stall`, { timeout: 60_000 }, async () => {
  const { server, port } = await echoServer();
  after(() => server.close());
  const pair = await udpPathPair('punched');
  console.log(`# path sockets: client ${pair.home.remote}, home ${pair.client.remote}`);
  const w = await streamWorld(pair, {
    names: () => ['echo'],
    accept: () => ({
      ok: true,
      connect: () => createConnection({ host: '127.0.0.1', port, allowHalfOpen: true }),
    }),
  });
  worlds.push(w);
  const t0 = Date.now();
  let maxGap = 0;
  const last: number[] = [];
  const got: number[] = [];
  const done: boolean[] = [];
  const runs = Array.from({ length: N }, (_, i) => {
    last[i] = t0;
    got[i] = 0;
    done[i] = false;
    return new Promise<void>((resolve, reject) => {
      const data = randomBytes(SIZE);
      const { stream } = w.client.open('echo');
      stream.on('data', (d: Buffer) => {
        const now = Date.now();
        maxGap = Math.max(maxGap, now - last[i]!);
        last[i] = now;
        got[i]! += d.length;
      });
      stream.once('end', () => {
        done[i] = true;
        if (got[i] === SIZE) resolve();
        else reject(new Error(`stream ${i}: ${got[i]} of ${SIZE}`));
      });
      stream.once('error', reject);
      stream.write(data);
      stream.end();
    });
  });
  const tick = setInterval(() => {
    const now = Date.now();
    const open = done.filter((d) => !d).length;
    let stuck = 0;
    for (let i = 0; i < N; i++) if (!done[i] && now - last[i]! > 2000) stuck++;
    console.log(
      `# t=${((now - t0) / 1000).toFixed(1)}s open=${open} stuck>2s=${stuck} ` +
        JSON.stringify(w.client.linkStats) +
        ' home ' +
        JSON.stringify(w.home.linkStats) +
        ' drops port:n ' +
        udpDrops(),
    );
  }, 1000);
  try {
    await Promise.all(runs);
  } finally {
    clearInterval(tick);
  }
  const wall = Date.now() - t0;
  console.log(`# ${N} x ${SIZE} B: all done in ${wall} ms, longest no-progress gap ${maxGap} ms`);
  assert.ok(maxGap < 10_000, `a stream made no progress for ${maxGap} ms`);
});
