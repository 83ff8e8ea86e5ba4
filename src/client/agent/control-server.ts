// The agent's control socket: a Unix socket in the state dir (mode 0600, inside the 0700 state
// dir), never TCP. Each connection sends request lines and gets reply lines; a `watch` keeps
// streaming events on the same connection until `unwatch` or the connection closes.
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Command, EntityState } from '../../devices/model.js';
import {
  ControlProtocolError,
  LineSplitter,
  parseRequest,
  type ControlReply,
  type ControlRequest,
  type HomeStatus,
} from './control-wire.js';

/** What the agent offers through the socket (implemented by ClientAgent). */
export interface AgentBackend {
  status(): HomeStatus[];
  list(home: string | undefined): Promise<EntityState[]>;
  get(home: string | undefined, entity: string): Promise<EntityState>;
  call(home: string | undefined, entity: string, command: Command): Promise<EntityState>;
  /** Streams a home's device changes and its connection's changes; returns the unsubscribe. */
  watch(
    home: string | undefined,
    onState: (s: EntityState) => void,
    onPath: (s: HomeStatus) => void,
  ): Promise<() => void>;
  /** Forwarded services (issue 19); optional: a backend without streams refuses them. */
  services?(home: string | undefined): Promise<string[]>;
  forward?(
    home: string | undefined,
    specs: readonly string[],
  ): Promise<{ forwards: unknown[]; stop(): void }>;
}

export interface ControlServerOptions {
  maxClients: number;
  /** Requests in flight per connection; more are answered with an error at once. */
  maxInFlight: number;
}

const DEFAULTS: ControlServerOptions = { maxClients: 32, maxInFlight: 16 };

/** The kind a thrown error maps to on the wire (PortholeError kinds pass through). */
function kindOf(e: unknown): string {
  if (e instanceof ControlProtocolError) return 'bad-request';
  const k = (e as { kind?: unknown }).kind;
  if (typeof k === 'string') return k;
  return (e as Error).name === 'DeviceError' ? 'device' : 'internal';
}

export class ControlServer {
  private readonly server: Server;
  private readonly clients = new Set<Socket>();
  private readonly o: ControlServerOptions;

  constructor(
    readonly path: string,
    private readonly backend: AgentBackend,
    opts: Partial<ControlServerOptions> = {},
  ) {
    this.o = { ...DEFAULTS, ...opts };
    this.server = createServer((s) => this.accept(s));
  }

  /** Listens; refuses when another agent answers on the same socket, removes a stale one. */
  async listen(): Promise<void> {
    if (existsSync(this.path)) {
      if (await socketAnswers(this.path))
        throw new Error(`a client agent is already running (${this.path})`);
      unlinkSync(this.path);
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.path, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    chmodSync(this.path, 0o600);
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (existsSync(this.path)) unlinkSync(this.path);
  }

  private accept(sock: Socket): void {
    if (this.clients.size >= this.o.maxClients) {
      sock.end(
        JSON.stringify({ id: 0, ok: false, error: 'too many clients', kind: 'busy' }) + '\n',
      );
      return;
    }
    this.clients.add(sock);
    sock.setEncoding('utf8');
    let inFlight = 0;
    const watches = new Map<number, () => void>();
    const write = (r: ControlReply): void => {
      // A reader that stops reading is cut off rather than buffered without bound.
      if (sock.writableLength > 1024 * 1024) return void sock.destroy();
      if (!sock.destroyed) sock.write(JSON.stringify(r) + '\n');
    };
    const fail = (id: number, e: unknown): void =>
      write({ id, ok: false, error: (e as Error).message, kind: kindOf(e) });
    const lines = new LineSplitter(
      (line) => {
        let req: ControlRequest;
        try {
          req = parseRequest(line);
        } catch (e) {
          return fail(0, e);
        }
        if (inFlight >= this.o.maxInFlight)
          return fail(req.id, new ControlProtocolError('too many requests in flight'));
        inFlight++;
        this.run(req, write, watches)
          .then((result) => result !== undefined && write({ id: req.id, ok: true, result }))
          .catch((e: unknown) => fail(req.id, e))
          .finally(() => inFlight--);
      },
      () => {
        fail(0, new ControlProtocolError('request line too long'));
        sock.destroy();
      },
    );
    sock.on('data', (d: string) => lines.push(d));
    sock.on('error', () => {});
    sock.on('close', () => {
      this.clients.delete(sock);
      for (const stop of watches.values()) stop();
      watches.clear();
    });
  }

  private async run(
    req: ControlRequest,
    write: (r: ControlReply) => void,
    watches: Map<number, () => void>,
  ): Promise<unknown> {
    switch (req.op) {
      case 'status':
        return this.backend.status();
      case 'list':
        return this.backend.list(req.home);
      case 'get':
        return this.backend.get(req.home, req.entity);
      case 'call':
        return this.backend.call(req.home, req.entity, req.command);
      case 'watch': {
        if (watches.size >= 8) throw new ControlProtocolError('too many watches');
        const stop = await this.backend.watch(
          req.home,
          (state) => write({ id: req.id, event: 'state', state }),
          (status) => write({ id: req.id, event: 'path', status }),
        );
        watches.set(req.id, stop);
        return { watching: true };
      }
      case 'unwatch':
        for (const stop of watches.values()) stop();
        watches.clear();
        return { watching: false };
      case 'services':
        if (!this.backend.services) throw new ControlProtocolError('this agent has no services');
        return this.backend.services(req.home);
      case 'forward': {
        if (!this.backend.forward) throw new ControlProtocolError('this agent cannot forward');
        if (watches.size >= 8) throw new ControlProtocolError('too many forwards');
        // Kept while this connection lives (with the watches: closed with it).
        const f = await this.backend.forward(req.home, req.specs);
        watches.set(req.id, () => f.stop());
        return { forwards: f.forwards };
      }
    }
  }
}

/** True when something accepts connections on the Unix socket at `path` (within 500 ms). */
export function socketAnswers(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    const done = (v: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
