// Local TCP listeners that forward each accepted connection as one stream to a service in the
// home (`porthole client forward [BIND:]LOCALPORT:NAME`, issue 19). The listener lives where the
// kept connection lives (the agent, or the forward command's own); a connection's first bytes
// leave with the stream's open request. One stream per TCP connection, half-close and
// backpressure end to end (streams/pump.ts).
import { createServer, isIP, type Server, type Socket } from 'node:net';
import type { Logger } from '../net/types.js';
import type { ClientStreams } from '../streams/mux.js';
import { joinStreams } from '../streams/pump.js';
import { SERVICE_NAME } from '../streams/wire.js';

export interface ForwardSpec {
  bind: string;
  /** 0: any free port (what `client pipe` asks the agent for). */
  port: number;
  name: string;
}

/** `[BIND:]LOCALPORT:NAME` (BIND an IP literal, 127.0.0.1 by default). */
export function parseForwardSpec(spec: string): ForwardSpec {
  const m = /^(?:\[?([0-9a-fA-F.:]+?)\]?:)?(\d{1,5}):([a-z0-9][a-z0-9_-]{0,31})$/.exec(spec);
  const bind = m?.[1] ?? '127.0.0.1';
  const port = Number(m?.[2]);
  if (!m || isIP(bind) === 0 || !(port >= 0 && port <= 65535) || !SERVICE_NAME.test(m[3] ?? ''))
    throw new RangeError(
      `${spec}: expected [BIND:]LOCALPORT:NAME, e.g. 8123:ha or 0.0.0.0:2222:ssh`,
    );
  return { bind, port, name: m[3] as string };
}

/** One forward as `client status --json` shows it. */
export interface ForwardStatus {
  spec: string;
  listen: string;
  service: string;
  /** Streams open now, and in all. */
  streams: number;
  total: number;
  refused: number;
  /** Bytes from local connections to the service, and back. */
  bytesIn: number;
  bytesOut: number;
  lastError?: string;
  /** The path the home's connection runs over (filled by the agent's status). */
  path?: string;
}

interface Live {
  server: Server;
  status: ForwardStatus;
  sockets: Set<Socket>;
}

export class Forwarder {
  private readonly live = new Set<Live>();

  /** `streams()`: the current connection's stream endpoint (undefined while it is down). */
  constructor(
    private readonly streams: () => ClientStreams | undefined,
    private readonly log: Logger,
  ) {}

  /** Binds the listener; resolves with its status (listen holds the bound address). */
  async add(spec: string): Promise<ForwardStatus> {
    const f = parseForwardSpec(spec);
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: false });
    const live: Live = {
      server,
      sockets: new Set(),
      status: {
        spec,
        listen: '',
        service: f.name,
        streams: 0,
        total: 0,
        refused: 0,
        bytesIn: 0,
        bytesOut: 0,
      },
    };
    server.on('connection', (sock) => this.accept(live, sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(f.port, f.bind, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address();
    if (a && typeof a !== 'string')
      live.status.listen =
        a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
    this.live.add(live);
    return live.status;
  }

  private accept(live: Live, sock: Socket): void {
    const st = live.status;
    const cs = this.streams();
    if (!cs?.isReady) {
      st.refused++;
      st.lastError = 'the home is not connected';
      sock.destroy();
      return;
    }
    let opened;
    try {
      opened = cs.open(st.service);
    } catch (e) {
      st.refused++;
      st.lastError = (e as Error).message;
      sock.destroy();
      return;
    }
    const { stream, accepted } = opened;
    st.streams++;
    st.total++;
    live.sockets.add(sock);
    sock.setNoDelay(true);
    joinStreams(
      sock,
      stream,
      () => {
        st.streams--;
        live.sockets.delete(sock);
      },
      (i, o) => {
        st.bytesIn += i;
        st.bytesOut += o;
      },
    );
    stream.once('error', (e: Error) =>
      this.log.warn({ service: st.service, err: e.message }, 'stream failed'),
    );
    accepted.catch((e: Error) => {
      st.refused++;
      st.lastError = e.message;
      this.log.warn({ service: st.service, err: e.message }, 'stream refused');
      sock.destroy();
    });
  }

  status(): ForwardStatus[] {
    return [...this.live].map((l) => ({ ...l.status }));
  }

  /** Stops one forward (by its status object or spec): listener closed, its connections cut. */
  remove(spec: string): void {
    for (const l of this.live) {
      if (l.status.spec !== spec) continue;
      l.server.close();
      for (const s of l.sockets) s.destroy();
      this.live.delete(l);
    }
  }

  close(): void {
    for (const l of [...this.live]) this.remove(l.status.spec);
  }
}
