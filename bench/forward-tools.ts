// The two ends of `npm run bench:forward`, each run inside a lab namespace:
//   forward-tools serve PORT                 a file server: `GET /file?bytes=N` answers N bytes
//                                            (HTTP/1.0, closes after); one process for all tools
//   forward-tools fetch HOST PORT JSON       one or N parallel fetches; prints one JSON line
//   forward-tools cold HOST PORT CAP_MS      fetches 1 byte every 20 ms until one answers;
//                                            prints that fetch (firstByteAt: wall clock)
//   forward-tools idle HOST PORT N           opens N connections, sends nothing, prints "open N",
//                                            holds them until stdin closes
// Plain TCP sockets on both ends, no HTTP library, so the ends cost next to nothing.
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Socket } from 'node:net';

const [cmd, a1, a2, a3] = process.argv.slice(2);

function serve(port: number): void {
  const block = randomBytes(1 << 20);
  const server = createServer((sock) => {
    let head = '';
    sock.on('error', () => {});
    const onData = (b: Buffer): void => {
      head += b.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      sock.off('data', onData);
      const n = Number(/bytes=(\d+)/.exec(head)?.[1] ?? 0);
      sock.write(`HTTP/1.0 200 OK\r\nContent-Length: ${n}\r\n\r\n`);
      let left = n;
      const pump = (): void => {
        while (left > 0) {
          const chunk = block.subarray(0, Math.min(left, 64 * 1024));
          left -= chunk.length;
          if (!sock.write(chunk)) return void sock.once('drain', pump);
        }
        sock.end();
      };
      pump();
    };
    sock.on('data', onData);
  });
  server.listen(port, '0.0.0.0', () => process.stdout.write('serving\n'));
}

export interface FetchResult {
  ok: boolean;
  bytes: number;
  ms: number;
  ttfbMs: number | null;
  /** TCP connect time (to the forwarder's listener, or through the link for direct TCP). */
  connectMs: number | null;
  /** Wall clock (ms since the epoch) of the first byte. */
  firstByteAt: number | null;
  /** Longest time with no byte arriving, from the request on. */
  maxGapMs: number;
  error?: string;
}

function fetchOne(host: string, port: number, bytes: number, capMs: number): Promise<FetchResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let last = t0;
    let ttfb: number | null = null;
    let connectMs: number | null = null;
    let maxGap = 0;
    let got = 0;
    let headLen = -1;
    let head = '';
    let done = false;
    const sock: Socket = createConnection({ host, port });
    const finish = (error?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      sock.destroy();
      const body = headLen < 0 ? 0 : got - headLen;
      resolve({
        ok: !error && body === bytes,
        bytes: Math.max(0, body),
        ms: now - t0,
        ttfbMs: ttfb,
        connectMs,
        firstByteAt: ttfb === null ? null : performance.timeOrigin + t0 + ttfb,
        maxGapMs: maxGap,
        ...(error ? { error } : {}),
      });
    };
    const timer = setTimeout(() => finish('cap'), capMs);
    sock.setNoDelay(true);
    sock.on('connect', () => {
      connectMs = performance.now() - t0;
      last = performance.now();
      sock.write(`GET /file?bytes=${bytes} HTTP/1.0\r\n\r\n`);
    });
    sock.on('data', (b: Buffer) => {
      const now = performance.now();
      if (ttfb === null) ttfb = now - t0;
      maxGap = Math.max(maxGap, now - last);
      last = now;
      got += b.length;
      if (headLen < 0) {
        head += b.toString('latin1', 0, Math.min(b.length, 256));
        const i = head.indexOf('\r\n\r\n');
        if (i >= 0) headLen = i + 4;
      }
    });
    sock.on('end', () => finish());
    sock.on('error', (e) => finish(e.message));
  });
}

async function fetchCmd(host: string, port: number, spec: string): Promise<void> {
  // n: parallel fetches; seq: that many fetches one after another (first-byte probes: the first
  // one pays for this process's own warm-up and is reported apart).
  const o = JSON.parse(spec) as { bytes: number; n?: number; seq?: number; capMs?: number };
  const n = o.n ?? 1;
  const t0 = performance.now();
  const rs: FetchResult[] = [];
  for (let k = 0; k < (o.seq ?? 1); k++) {
    rs.push(
      ...(await Promise.all(
        Array.from({ length: n }, () => fetchOne(host, port, o.bytes, o.capMs ?? 30_000)),
      )),
    );
  }
  const wall = performance.now() - t0;
  process.stdout.write(JSON.stringify({ wallMs: wall, results: rs }) + '\n');
}

function idle(host: string, port: number, n: number): void {
  const socks: Socket[] = [];
  let open = 0;
  for (let i = 0; i < n; i++) {
    const s = createConnection({ host, port }, () => {
      if (++open === n) process.stdout.write(`open ${n}\n`);
    });
    s.on('error', (e) => process.stderr.write(`idle: ${e.message}\n`));
    socks.push(s);
  }
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => {
    for (const s of socks) s.destroy();
    process.exit(0);
  });
}

async function cold(host: string, port: number, capMs: number): Promise<void> {
  const end = Date.now() + capMs;
  let r: FetchResult | undefined;
  while (Date.now() < end) {
    r = await fetchOne(host, port, 1, Math.max(1, end - Date.now()));
    if (r.ok) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  process.stdout.write(JSON.stringify(r?.ok ? r : { ...r, firstByteAt: null }) + '\n');
}

if (cmd === 'serve') serve(Number(a1));
else if (cmd === 'fetch') void fetchCmd(a1 as string, Number(a2), a3 as string);
else if (cmd === 'cold') void cold(a1 as string, Number(a2), Number(a3));
else if (cmd === 'idle') idle(a1 as string, Number(a2), Number(a3));
else {
  process.stderr.write('forward-tools serve PORT | fetch HOST PORT JSON | idle HOST PORT N\n');
  process.exit(2);
}
