// Home registrations and keepalives, for every role homes register with: the rendezvous, and a
// standalone relay node (issue 10), which needs the home's live mapping to offer it sessions.
// Same rules for both: key-derived ids need a valid, fresh signature (replay-guarded); open ids
// are accepted unless requireSigned; a keepalive from another address than the registered one
// (unknown, expired, or the NAT mapping changed) gets UnknownHome, so the home registers again.
import type { Env, SocketAddr } from '../net/types.js';
import { verifyDeregistration, verifyRegistration, type ServerRole } from '../secure/auth.js';
import { DERIVED_ID } from '../secure/keys.js';
import { ReplayGuard } from '../secure/replay.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import { ErrorCode, type Message, type MessageOf } from '../wire/messages.js';
import type { HomeRegistry } from './registry.js';
import type { Request } from './session.js';

export interface RegistrationDeskOptions {
  env: Env;
  registry: HomeRegistry;
  cfg: { registrationTtlMs: number; requireSigned: boolean };
  /** What this server is: a proof bound to another role is refused. */
  role: ServerRole;
  /** Is `addr` (where a home says it sent its proof) this server? See `ownAddresses`. */
  isSelf(addr: SocketAddr): boolean;
  /** Answers never carry more bytes than the request did (the role's socket enforces it). */
  reply(msg: Message, req: Request): void;
  drop(reason: string): void;
  /** An accepted registration; `isNew`: a home not held before, or held at another mapping. */
  onRegistered?(msg: MessageOf<'register'>, from: SocketAddr, isNew: boolean): void;
  onKeepalive?(homeId: string, from: SocketAddr): void;
  /** After each `registered` / `keepaliveAck` (the rendezvous names its relay node here). */
  afterAnswer?(tx: number, req: Request): void;
  /** A home said goodbye (issue 21 item 9) and is forgotten here. */
  onDeregistered?(homeId: string): void;
}

/** Homes that said goodbye, remembered (bounded) for a registration lifetime: "offline". */
const MAX_OFFLINE = 10_000;

export class RegistrationDesk {
  private readonly replay = new ReplayGuard();
  /** homeId → until when it counts as offline (it said goodbye; a registration clears it). */
  private readonly gone = new Map<string, number>();

  constructor(private readonly o: RegistrationDeskOptions) {}

  onRegister(msg: MessageOf<'register'>, req: Request): void {
    const { env, registry, cfg } = this.o;
    const from = req.from;
    const refusal = this.refusal(msg);
    if (refusal) {
      this.o.drop('register-refused');
      return this.error(msg.tx, ErrorCode.Unauthorized, refusal, req);
    }
    const now = env.clock.now();
    const prev = registry.get(msg.homeId, now);
    const ok = registry.put({
      id: msg.homeId,
      addr: from,
      locals: msg.locals,
      ...(msg.nat ? { nat: msg.nat } : {}),
      registeredAt: prev && sameAddr(prev.addr, from) ? prev.registeredAt : now,
      expiresAt: now + cfg.registrationTtlMs,
    });
    if (!ok) {
      this.o.drop('registry-full');
      return this.error(msg.tx, ErrorCode.Busy, 'rendezvous is full; try another node', req);
    }
    const isNew = !prev || !sameAddr(prev.addr, from);
    this.gone.delete(msg.homeId);
    if (isNew) env.log.info({ home: msg.homeId, addr: formatAddr(from) }, 'home registered');
    this.o.onRegistered?.(msg, from, isNew);
    this.o.reply(
      { type: 'registered', tx: msg.tx, observed: from, ttlMs: cfg.registrationTtlMs },
      req,
    );
    this.o.afterAnswer?.(msg.tx, req);
  }

  onKeepalive(msg: MessageOf<'keepalive'>, req: Request): void {
    const from = req.from;
    const now = this.o.env.clock.now();
    const rec = this.o.registry.get(msg.homeId, now);
    if (!rec || !sameAddr(rec.addr, from)) {
      this.o.drop('keepalive-unknown');
      return this.error(msg.tx, ErrorCode.UnknownHome, 'not registered; register again', req);
    }
    rec.expiresAt = now + this.o.cfg.registrationTtlMs;
    this.o.onKeepalive?.(msg.homeId, from);
    this.o.reply({ type: 'keepaliveAck', tx: msg.tx, observed: from }, req);
    this.o.afterAnswer?.(msg.tx, req);
  }

  /**
   * A home going away (SIGTERM): forgotten at once, remembered as offline. Key-derived ids need
   * a fresh goodbye signed for this server; an open id may only leave from its own mapping.
   */
  onDeregister(msg: MessageOf<'deregister'>, req: Request): void {
    const now = this.o.env.clock.now();
    const rec = this.o.registry.get(msg.homeId, now);
    const refusal = DERIVED_ID.test(msg.homeId)
      ? this.goodbyeRefusal(msg)
      : rec && !sameAddr(rec.addr, req.from)
        ? 'deregister refused: not from the registered address'
        : undefined;
    if (refusal) {
      this.o.drop('deregister-refused');
      return this.error(msg.tx, ErrorCode.Unauthorized, refusal, req);
    }
    if (rec) {
      this.o.registry.delete(msg.homeId);
      if (this.gone.size >= MAX_OFFLINE) this.gone.delete(this.gone.keys().next().value as string);
      this.gone.set(msg.homeId, now + this.o.cfg.registrationTtlMs);
      this.o.env.log.info({ home: msg.homeId }, 'home said goodbye');
      this.o.onDeregistered?.(msg.homeId);
    }
    this.o.reply({ type: 'deregistered', tx: msg.tx }, req);
  }

  /** Did this home say goodbye here (and not come back since)? */
  isOffline(homeId: string, now: number): boolean {
    const until = this.gone.get(homeId);
    if (until === undefined) return false;
    if (until > now) return true;
    this.gone.delete(homeId);
    return false;
  }

  private goodbyeRefusal(msg: MessageOf<'deregister'>): string | undefined {
    const v = verifyDeregistration(msg.homeId, msg.auth);
    if (!v.ok) return `deregister refused: ${v.reason}`;
    if (v.server.role !== this.o.role || !this.o.isSelf(v.server.addr))
      return 'deregister refused: the goodbye is for another server';
    const wall = this.o.env.clock.wallNow?.();
    if (wall === undefined || !this.replay.accept(v.nonce, v.time, wall))
      return 'deregister refused: stale or replayed';
    return undefined;
  }

  private error(tx: number, code: ErrorCode, message: string, req: Request): void {
    this.o.reply({ type: 'error', tx, code, message }, req);
  }

  /** Key-derived ids need a valid, fresh signature; open ids are accepted unless requireSigned. */
  private refusal(msg: MessageOf<'register'>): string | undefined {
    if (!DERIVED_ID.test(msg.homeId)) {
      return this.o.cfg.requireSigned
        ? 'this rendezvous only accepts signed homes (porthole home --state)'
        : undefined;
    }
    const v = verifyRegistration(msg.homeId, msg.auth);
    if (!v.ok) return `registration refused: ${v.reason}`;
    // Bound to another server: a replay (or a home that dialled an address we do not know as
    // ours: --advertise). An unbound proof comes from a home older than the binding: taken.
    if (v.server && (v.server.role !== this.o.role || !this.o.isSelf(v.server.addr)))
      return `registration refused: the proof is for ${v.server.role} ${formatAddr(v.server.addr)}, not this ${this.o.role} (a replay, or start it with --advertise)`;
    const wall = this.o.env.clock.wallNow?.();
    if (wall === undefined) return 'registration refused: this rendezvous has no wall clock';
    if (!this.replay.accept(v.nonce, v.time, wall))
      return 'registration refused: stale or replayed (check the home clock)';
    return undefined;
  }
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);
const plain = (ip: string): string => ip.replace(/^::ffff:(?=\d+\.)/i, '');

/**
 * Which addresses count as this server's (docs/security.md): the ports of its sockets and of its
 * `--advertise` addresses; and, when it knows them, their IPs — sockets bound to a specific IP,
 * and advertised ones. A server on 0.0.0.0 with no --advertise may not know its public IP (behind
 * a cloud 1:1 NAT it never sees it): then only the port and the role are checked.
 */
export function ownAddresses(
  locals: () => readonly (SocketAddr | undefined)[],
  advertise: readonly SocketAddr[] = [],
): (addr: SocketAddr) => boolean {
  return (addr) => {
    const known = [...locals().filter((a): a is SocketAddr => a !== undefined), ...advertise];
    if (!known.some((a) => a.port === addr.port)) return false;
    const ips = known.map((a) => plain(a.ip)).filter((ip) => !WILDCARD.has(ip));
    return ips.length === 0 || ips.includes(plain(addr.ip));
  };
}
