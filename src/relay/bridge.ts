// The web front's bridge (issue 21, the phone in a relay-node or cluster topology): a browser
// page can only reach its own origin, so a phone cannot follow a relayRedirect to another relay.
// When the relay core would redirect a session opened over the web front's WebSocket, the web
// front carries it there itself: it re-sends the phone's relayOpen (same session, tx, auth and
// early frame) from a UDP socket of its own to the relay the redirect names — the relay node, or
// the cluster node holding the home — and pipes that session's frames both ways. The phone keeps
// one WebSocket to its origin and sees relayReady/relayData/relayClosed as if the session were
// relayed here.
//
// Not an open proxy: the target is never taken from the client. It is the core's own redirect —
// the configured --relay-node or the cluster directory's owner node — and a further redirect from
// that relay is followed only to a unicast address, at most MAX_REDIRECTS times. Bounded: a
// number of bridged sessions per connection and in all, the open's retransmits and deadline, an
// idle timeout, and one UDP socket per session that is closed with it; the phone's connection
// closing ends its bridged sessions (the far relay is told), and the far relay closing one tells
// the phone. Adapter code (node:dgram, node timers), outside the Env seam.
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { SocketAddr } from '../net/types.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import { decode, encode, REQUEST_PAD, type Message, type MessageOf } from '../wire/messages.js';
import { RelayCloseCode } from '../wire/relay-messages.js';
import { isUnicastAddr, MAX_REDIRECTS, type RedirectTarget } from './redirect.js';
import type { ClientTransport } from './transport.js';

export interface BridgeLimits {
  /** Bridged sessions one phone connection may carry at once. */
  maxPerConnection: number;
  /** Bridged sessions of the whole front at once (each holds a UDP socket). */
  maxSessions: number;
  /** relayOpen re-sent at these delays (ms) until the far relay answers (UDP may lose it). */
  openResendMs: number[];
  /** The far relay has neither accepted nor refused within this (ms): the phone is told. */
  openTimeoutMs: number;
  /** Nothing crossed the session either way this long (ms): both ends are closed. */
  idleMs: number;
}

export const DEFAULT_BRIDGE_LIMITS: BridgeLimits = {
  maxPerConnection: 8,
  maxSessions: 1000,
  openResendMs: [0, 400, 800, 1600, 3200],
  // Past the far relay's offer budget (4.5 s): its own "the home did not answer" comes first.
  openTimeoutMs: 7000,
  // The relays' own idle limit (2 min; keepalives come every 25 s) plus a margin.
  idleMs: 150_000,
};

/** What the bridge reports to the relay core (counted in its stats and metrics). */
export interface BridgeEvents {
  opened(): void;
  closed(reason: string): void;
  bytes(dir: 'toHome' | 'toClient', n: number): void;
  drop(reason: string): void;
  /** One line per bridged session's start and end (the core's logger). */
  log(fields: Record<string, unknown>, msg: string): void;
}

/** The front's shared count of bridged sessions (against maxSessions). */
export class BridgeBudget {
  live = 0;
  constructor(readonly limits: BridgeLimits = DEFAULT_BRIDGE_LIMITS) {}
}

type Payload = MessageOf<'relayData'> | MessageOf<'relayClosed'>;

interface Bridged {
  session: string;
  open: MessageOf<'relayOpen'>;
  sock: Socket;
  to: SocketAddr;
  redirects: number;
  ready: boolean;
  /** The open's re-sends (cancelled once ready or redirected). */
  resends: ReturnType<typeof setTimeout>[];
  /** The open's deadline (one for the whole open, redirects included). */
  deadline: ReturnType<typeof setTimeout> | undefined;
  /** When a frame last crossed (ms, Date.now); one idle timer re-arms from it. */
  lastActive: number;
  idle: ReturnType<typeof setTimeout> | undefined;
}

/** The bridged sessions of one client connection (a WebSocket of the web front). */
export class ConnectionBridge {
  private readonly sessions = new Map<string, Bridged>();

  constructor(
    private readonly client: ClientTransport,
    private readonly budget: BridgeBudget,
    private readonly events: BridgeEvents,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Whether a client frame belongs to a bridged session (then `fromClient` takes it). */
  has(msg: Message): boolean {
    return 'session' in msg && this.sessions.has(msg.session);
  }

  /** The core would redirect this relayOpen to `to`: carry it there instead. */
  open(msg: MessageOf<'relayOpen'>, to: RedirectTarget): void {
    const limits = this.budget.limits;
    const refuse = (code: RelayCloseCode, text: string, reason: string): void => {
      this.events.drop(`bridge-${reason}`);
      this.tellClient({ type: 'relayClosed', session: msg.session, code, message: text });
    };
    if (this.sessions.has(msg.session)) return; // a repeated open: the bridge already re-sends it
    if (!isUnicastAddr(to.relay))
      return refuse(RelayCloseCode.BadRequest, 'no usable relay address', 'bad-target');
    if (this.sessions.size >= limits.maxPerConnection || this.budget.live >= limits.maxSessions)
      return refuse(RelayCloseCode.Busy, 'too many requests (bridge)', 'cap');
    const b: Bridged = {
      session: msg.session,
      open: msg,
      sock: this.socketTo(msg.session, to.relay),
      to: to.relay,
      redirects: 0,
      ready: false,
      resends: [],
      deadline: undefined,
      lastActive: Date.now(),
      idle: undefined,
    };
    this.sessions.set(msg.session, b);
    this.budget.live++;
    this.events.opened();
    this.events.log(
      { home: msg.homeId, client: this.client.label, to: formatAddr(to.relay), session: b.session },
      'bridged session to the relay holding the home',
    );
    this.sendOpen(b);
    b.deadline = unref(
      setTimeout(() => {
        if (b.ready) return;
        const text = 'the relay holding the home did not answer';
        this.end(b, 'open-timeout', {
          client: { code: RelayCloseCode.HomeUnreachable, text },
          far: true,
        });
      }, limits.openTimeoutMs),
    );
    this.armIdle(b);
  }

  /** A frame from the client for a bridged session. */
  fromClient(msg: Message, bytes: Uint8Array): void {
    const b = 'session' in msg ? this.sessions.get(msg.session) : undefined;
    if (!b) return;
    if (msg.type === 'relayOpen') return; // its retransmission: the bridge re-sends on its own
    if (msg.type === 'relayClosed') return this.end(b, 'client-closed', { far: true });
    if (msg.type !== 'relayData') return this.events.drop(`bridge-client-sent-${msg.type}`);
    if (!b.ready) return this.events.drop('bridge-not-open');
    this.touch(b);
    this.events.bytes('toHome', msg.payload.length);
    b.sock.send(bytes, b.to.port, b.to.ip);
  }

  /** The client's connection ended: every bridged session ends, the far relays are told. */
  closeAll(): void {
    for (const b of [...this.sessions.values()]) this.end(b, 'client-gone', { far: true });
  }

  private socketTo(session: string, to: SocketAddr): Socket {
    const sock = createSocket(isIP(to.ip) === 6 ? 'udp6' : 'udp4');
    sock.on('message', (d, rinfo) => {
      const b = this.sessions.get(session);
      if (!b || b.sock !== sock) return;
      if (!sameAddr({ ip: rinfo.address, port: rinfo.port }, b.to))
        return this.events.drop('bridge-wrong-sender');
      const r = decode(d);
      if (!r.ok || !('session' in r.msg) || r.msg.session !== session)
        return this.events.drop('bridge-far-malformed');
      this.fromFar(b, r.msg, d);
    });
    sock.on('error', () => {
      const b = this.sessions.get(session);
      if (b?.sock === sock) {
        const text = 'the relay holding the home is unreachable';
        this.end(b, 'socket-error', { client: { code: RelayCloseCode.HomeUnreachable, text } });
      }
    });
    return sock;
  }

  private fromFar(b: Bridged, msg: Message, bytes: Uint8Array): void {
    switch (msg.type) {
      case 'relayReady':
        if (msg.tx !== b.open.tx) return;
        b.ready = true;
        this.clearResends(b);
        if (b.deadline) clearTimeout(b.deadline);
        this.touch(b);
        return this.client.send(bytes);
      case 'relayData':
        if (!b.ready) return this.events.drop('bridge-not-open');
        this.touch(b);
        this.events.bytes('toClient', msg.payload.length);
        return this.client.send(bytes);
      case 'relayClosed':
        this.client.send(bytes);
        return this.end(b, 'far-closed', {});
      case 'relayRedirect':
        return this.redirect(b, msg);
      default:
        this.events.drop(`bridge-far-sent-${msg.type}`);
    }
  }

  /** The far relay redirects again (e.g. an owner node with a relay node of its own). */
  private redirect(b: Bridged, msg: MessageOf<'relayRedirect'>): void {
    if (b.ready || msg.tx !== b.open.tx) return;
    if (b.redirects >= MAX_REDIRECTS || !isUnicastAddr(msg.relay)) {
      const text = 'the relay holding the home redirected too often or nowhere';
      return this.end(b, 'bad-redirect', {
        client: { code: RelayCloseCode.BadRequest, text },
      });
    }
    b.redirects++;
    this.clearResends(b);
    b.sock.close();
    b.to = msg.relay;
    b.sock = this.socketTo(b.session, msg.relay);
    this.sendOpen(b);
  }

  private sendOpen(b: Bridged): void {
    const bytes = encode(b.open, REQUEST_PAD);
    const sock = b.sock;
    for (const ms of this.budget.limits.openResendMs)
      b.resends.push(
        unref(
          setTimeout(() => {
            if (!b.ready && b.sock === sock) sock.send(bytes, b.to.port, b.to.ip);
          }, ms),
        ),
      );
  }

  private clearResends(b: Bridged): void {
    for (const t of b.resends) clearTimeout(t);
    b.resends = [];
  }

  /** A frame crossed: only a timestamp (a timer per frame would be work on the data path). */
  private touch(b: Bridged): void {
    b.lastActive = Date.now();
  }

  /** One timer per session: when it fires early (there was traffic) it re-arms for the rest. */
  private armIdle(b: Bridged): void {
    const idleMs = this.budget.limits.idleMs;
    const left = b.lastActive + idleMs - Date.now();
    b.idle = unref(
      setTimeout(
        () => {
          if (Date.now() - b.lastActive < idleMs) return this.armIdle(b);
          const text = `idle ${idleMs} ms`;
          this.end(b, 'idle', { client: { code: RelayCloseCode.Idle, text }, far: true });
        },
        Math.max(left, 0),
      ),
    );
  }

  private end(
    b: Bridged,
    reason: string,
    tell: { client?: { code: RelayCloseCode; text: string }; far?: boolean },
  ): void {
    if (this.sessions.get(b.session) !== b) return;
    this.sessions.delete(b.session);
    this.budget.live--;
    this.clearResends(b);
    if (b.deadline) clearTimeout(b.deadline);
    if (b.idle) clearTimeout(b.idle);
    const bye = (code: RelayCloseCode, message: string): Payload => ({
      type: 'relayClosed',
      session: b.session,
      code,
      message,
    });
    if (tell.client) this.tellClient(bye(tell.client.code, tell.client.text));
    const sock = b.sock;
    const close = (): void => {
      try {
        sock.close();
      } catch {
        // already closed (a socket error)
      }
    };
    if (tell.far) {
      const bytes = encode(bye(RelayCloseCode.PeerClosed, 'the client closed'));
      try {
        sock.send(bytes, b.to.port, b.to.ip, close);
      } catch {
        close();
      }
    } else close();
    this.events.closed(reason);
    this.events.log(
      {
        home: b.open.homeId,
        client: this.client.label,
        session: b.session,
        reason,
        ready: b.ready,
      },
      'bridged session closed',
    );
  }

  private tellClient(msg: Payload): void {
    this.client.send(encode(msg));
  }
}

function unref<T extends { unref(): unknown }>(t: T): T {
  t.unref();
  return t;
}
