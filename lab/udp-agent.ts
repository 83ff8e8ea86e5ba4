// A tiny UDP tool run inside a namespace and driven over stdin/stdout (JSON lines), so one
// controller can open sockets, send (with an IP TTL) and see what arrives on several hosts of the
// lab at once. Used to check that each lab router really behaves like the NAT kind it is named.
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The agent itself: plain CommonJS run with `node -e`, so it needs no file on disk and works the
 * same from lab/ (tsx) and dist/lab/ (compiled). Bounded: at most 64 sockets.
 */
const AGENT_SOURCE = `
const dgram = require('node:dgram');
const socks = new Map();
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  let m; try { m = JSON.parse(line); } catch { return; }
  if (m.op === 'open') {
    if (socks.size >= 64) return out({ ev: 'error', id: m.id, msg: 'too many sockets' });
    const s = dgram.createSocket('udp4');
    s.on('error', (e) => out({ ev: 'error', id: m.id, msg: e.message }));
    s.on('message', (d, r) => out({ ev: 'recv', id: m.id, from: r.address + ':' + r.port, data: d.toString() }));
    s.bind(m.port || 0, m.ip || '0.0.0.0', () => { socks.set(m.id, s); out({ ev: 'opened', id: m.id, port: s.address().port }); });
  } else if (m.op === 'send') {
    const s = socks.get(m.id);
    if (!s) return out({ ev: 'sent', id: m.id, seq: m.seq, err: 'no such socket' });
    if (m.ttl) s.setTTL(m.ttl);
    s.send(m.data, m.port, m.ip, (e) => { if (m.ttl) s.setTTL(64); out({ ev: 'sent', id: m.id, seq: m.seq, err: e ? e.message : null }); });
  }
}).on('close', () => process.exit(0));
`;

export interface Datagram {
  from: string;
  data: string;
}

type Event =
  | { ev: 'opened'; id: string; port: number }
  | { ev: 'sent'; id: string; seq: number; err: string | null }
  | { ev: 'recv'; id: string; from: string; data: string }
  | { ev: 'error'; id: string; msg: string };

const live = new Set<ChildProcess>();
/** Kills every agent still running (Ctrl-C, failures). */
export function killUdpAgents(): void {
  for (const p of live) p.kill('SIGKILL');
  live.clear();
}

const REPLY_TIMEOUT_MS = 5_000;

export class UdpAgent {
  private readonly received = new Map<string, Datagram[]>();
  private readonly waiters = new Set<(e: Event) => void>();
  private seq = 0;

  private constructor(private readonly proc: ChildProcess) {
    let buf = '';
    proc.stdout?.on('data', (b: Buffer) => {
      buf += b.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let e: Event;
        try {
          e = JSON.parse(line) as Event;
        } catch {
          continue;
        }
        if (e.ev === 'recv') {
          const list = this.received.get(e.id) ?? [];
          if (list.length < 1000) list.push({ from: e.from, data: e.data });
          this.received.set(e.id, list);
        }
        for (const w of [...this.waiters]) w(e);
      }
    });
  }

  /** Starts an agent in namespace `ns`. */
  static start(ns: string): UdpAgent {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', AGENT_SOURCE], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    live.add(p);
    p.on('exit', () => live.delete(p));
    return new UdpAgent(p);
  }

  private request<T extends Event>(msg: object, match: (e: Event) => e is T): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`udp agent did not answer ${JSON.stringify(msg)}`));
      }, REPLY_TIMEOUT_MS);
      const w = (e: Event): void => {
        if (!match(e)) return;
        clearTimeout(timer);
        this.waiters.delete(w);
        resolve(e);
      };
      this.waiters.add(w);
      this.proc.stdin?.write(JSON.stringify(msg) + '\n');
    });
  }

  /** Opens socket `id` on `port` (0: any) and `ip` (default all); resolves its local port. */
  async open(id: string, port = 0, ip?: string): Promise<number> {
    const e = await this.request(
      { op: 'open', id, port, ip },
      (e): e is Event & { ev: 'opened' } => (e.ev === 'opened' || e.ev === 'error') && e.id === id,
    );
    if (e.ev !== 'opened') throw new Error(`open ${id}: ${(e as { msg?: string }).msg}`);
    return e.port;
  }

  /** Sends `data` from socket `id` to `to` ("IP:PORT"), with IP TTL `ttl` when given. */
  async send(id: string, to: string, data: string, ttl?: number): Promise<void> {
    const [ip, port] = to.split(':');
    const seq = this.seq++;
    const e = await this.request(
      { op: 'send', id, ip, port: Number(port), data, ttl, seq },
      (e): e is Event & { ev: 'sent' } => e.ev === 'sent' && e.seq === seq,
    );
    if (e.err) throw new Error(`send ${id} → ${to}: ${e.err}`);
  }

  /** The first datagram on socket `id` carrying `data`, or null after `ms`. */
  waitFor(id: string, data: string, ms = 400): Promise<Datagram | null> {
    const hit = this.received.get(id)?.find((d) => d.data === data);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        resolve(null);
      }, ms);
      const w = (e: Event): void => {
        if (e.ev !== 'recv' || e.id !== id || e.data !== data) return;
        clearTimeout(timer);
        this.waiters.delete(w);
        resolve({ from: e.from, data: e.data });
      };
      this.waiters.add(w);
    });
  }

  /** How many datagrams socket `id` has received so far (at most 1000 are kept). */
  count(id: string): number {
    return this.received.get(id)?.length ?? 0;
  }

  close(): void {
    this.proc.stdin?.end();
    const p = this.proc;
    setTimeout(() => p.kill('SIGKILL'), 1000).unref();
  }
}
