// The WebSocket link to Home Assistant: home-assistant-js-websocket's Connection (message ids,
// results, subscriptions) over a socket from the `ws` package that this file opens and
// authenticates itself (bounded frame size, connect and auth timeouts, the token re-read from its
// file on every attempt so a fixed token takes effect without a restart).
//
// The library reconnects on its own with fixed delays; this link instead closes a lost Connection
// and opens a new one with its own backoff (250 ms doubling to 2 s; 30 s after a refused token),
// so an HA restart is noticed within 2 s of HA answering, and every connection starts from a
// fresh subscription (the bridge resyncs every state before calling them live). A heartbeat ping
// notices an HA that vanished without closing the socket (a cable pulled, a host frozen).
import { readFileSync } from 'node:fs';
import {
  Connection,
  ERR_CANNOT_CONNECT,
  ERR_INVALID_AUTH,
  type HaWebSocket,
} from 'home-assistant-js-websocket';
import WebSocket from 'ws';
import type { Clock, TimerHandle } from '../net/types.js';

const MAX_FRAME = 32 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 5000;
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 2000;
const RETRY_AUTH_MS = 30_000;
const PING_EVERY_MS = 15_000;
const PING_TIMEOUT_MS = 5000;
const MAX_TOKEN = 4096;

export type HaLinkState = 'connecting' | 'connected' | 'unreachable' | 'auth-failed';

export interface HaLinkEvents {
  /** A new, authenticated connection: subscribe on it. */
  connected(conn: Connection, haVersion: string): void;
  /** The link is down (or could not come up); `error` says why, for the log and the client. */
  down(state: Exclude<HaLinkState, 'connected'>, error: string): void;
}

/** `ha://HOST:PORT` / `has://HOST:PORT` → the ws:// or wss:// URL of HA's WebSocket API. */
export function haWsUrl(spec: string): string {
  const m = /^(has?):\/\/([^/\s]+)\/?$/.exec(spec);
  if (!m) throw new Error(`"${spec}" is not ha://HOST:PORT or has://HOST:PORT`);
  return `${m[1] === 'has' ? 'wss' : 'ws'}://${m[2]}/api/websocket`;
}

export function readToken(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new HaAuthError(
      `cannot read the Home Assistant token file ${file}: ${(e as Error).message}`,
    );
  }
  const token = text.trim();
  if (token.length === 0 || token.length > MAX_TOKEN || /\s/.test(token))
    throw new HaAuthError(`${file} does not hold one Home Assistant access token`);
  return token;
}

export class HaAuthError extends Error {
  override name = 'HaAuthError';
}

/** Opens and authenticates one socket; resolves once HA said auth_ok. */
export function openHaSocket(url: string, token: string, clock: Clock): Promise<HaWebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: MAX_FRAME, handshakeTimeout: CONNECT_TIMEOUT_MS });
    let done = false;
    const fail = (e: Error): void => {
      if (done) return;
      done = true;
      timer.cancel();
      ws.removeAllListeners();
      ws.on('error', () => {}); // a late error after terminate must not throw
      ws.terminate();
      reject(e);
    };
    const timer: TimerHandle = clock.setTimer(CONNECT_TIMEOUT_MS, () =>
      fail(new Error(`no answer from ${url} within ${CONNECT_TIMEOUT_MS} ms`)),
    );
    ws.on('error', (e) => fail(e));
    ws.on('close', () => fail(new Error(`${url} closed the connection during authentication`)));
    ws.on('message', (data) => {
      let msg: { type?: unknown; ha_version?: unknown; message?: unknown };
      try {
        const text = Array.isArray(data)
          ? Buffer.concat(data).toString('utf8')
          : Buffer.from(data as Uint8Array).toString('utf8');
        msg = JSON.parse(text) as typeof msg;
      } catch {
        return fail(new Error(`${url} sent something that is not JSON`));
      }
      if (msg.type === 'auth_required') {
        ws.send(JSON.stringify({ type: 'auth', access_token: token }));
      } else if (msg.type === 'auth_invalid') {
        fail(new HaAuthError(`Home Assistant refused the access token (bad or revoked)`));
      } else if (msg.type === 'auth_ok') {
        done = true;
        timer.cancel();
        ws.removeAllListeners();
        ws.on('error', () => {}); // the Connection listens for close; errors precede a close
        const sock = ws as unknown as HaWebSocket;
        sock.haVersion = typeof msg.ha_version === 'string' ? msg.ha_version : 'unknown';
        resolve(sock);
      }
    });
  });
}

export class HaLink {
  state: HaLinkState = 'connecting';
  private conn: Connection | undefined;
  private retryTimer: TimerHandle | undefined;
  private pingTimer: TimerHandle | undefined;
  private failures = 0;
  private closed = false;
  /** Bumps on every connection, so a late callback from an old one is ignored. */
  private generation = 0;

  constructor(
    private readonly url: string,
    private readonly tokenFile: string,
    private readonly clock: Clock,
    private readonly events: HaLinkEvents,
  ) {}

  start(): void {
    void this.attempt();
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    const gen = ++this.generation;
    let sock: HaWebSocket;
    try {
      const token = readToken(this.tokenFile);
      sock = await openHaSocket(this.url, token, this.clock);
    } catch (e) {
      if (this.closed || gen !== this.generation) return;
      const auth = e instanceof HaAuthError;
      this.failures++;
      this.setDown(
        auth ? 'auth-failed' : 'unreachable',
        e instanceof HaAuthError
          ? e.message
          : `cannot reach Home Assistant at ${this.url}: ${describe(e)}`,
      );
      const delay = auth
        ? RETRY_AUTH_MS
        : Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(this.failures - 1, 4));
      this.retryTimer = this.clock.setTimer(delay, () => void this.attempt());
      return;
    }
    if (this.closed || gen !== this.generation) return void sock.close();
    this.failures = 0;
    // setupRetry 0 and a createSocket that refuses: the library never reconnects on its own
    // (this link closes a lost Connection and opens a new one).
    const conn = new Connection(sock, {
      setupRetry: 0,
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the library's own error code
      createSocket: () => Promise.reject(ERR_CANNOT_CONNECT),
    });
    this.conn = conn;
    conn.addEventListener('disconnected', () =>
      this.lost(gen, 'Home Assistant closed the connection'),
    );
    this.state = 'connected';
    this.schedulePing(gen);
    this.events.connected(conn, sock.haVersion);
  }

  private lost(gen: number, why: string): void {
    if (gen !== this.generation || this.closed) return;
    this.generation++;
    this.conn?.close();
    this.conn = undefined;
    this.pingTimer?.cancel();
    this.setDown('unreachable', why);
    this.retryTimer = this.clock.setTimer(RETRY_FIRST_MS, () => void this.attempt());
  }

  private setDown(state: Exclude<HaLinkState, 'connected'>, error: string): void {
    this.state = state;
    this.events.down(state, error);
  }

  private schedulePing(gen: number): void {
    this.pingTimer = this.clock.setTimer(PING_EVERY_MS, () => {
      const conn = this.conn;
      if (!conn || gen !== this.generation) return;
      let answered = false;
      const timeout = this.clock.setTimer(PING_TIMEOUT_MS, () => {
        if (!answered)
          this.lost(gen, `Home Assistant did not answer a ping within ${PING_TIMEOUT_MS} ms`);
      });
      conn.ping().then(
        () => {
          answered = true;
          timeout.cancel();
          if (gen === this.generation) this.schedulePing(gen);
        },
        () => undefined, // the disconnect handler reports it
      );
    });
  }

  /** Forces a reconnect (used when a connection misbehaves, e.g. a subscription fails). */
  reconnect(why: string): void {
    this.lost(this.generation, why);
  }

  close(): void {
    this.closed = true;
    this.generation++;
    this.retryTimer?.cancel();
    this.pingTimer?.cancel();
    this.conn?.close();
    this.conn = undefined;
  }
}

function describe(e: unknown): string {
  if (e === ERR_INVALID_AUTH) return 'invalid auth';
  if (e instanceof Error) return (e as NodeJS.ErrnoException).code ?? e.message;
  return String(e);
}
