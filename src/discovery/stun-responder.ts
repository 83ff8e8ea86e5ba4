// The pure logic of a STUN Binding server with RFC 5780 support: given a datagram, where it came
// from and which of the server's (up to four) endpoints received it, the answer and the endpoint
// it must leave from. No sockets, no clock of its own: the caller passes `now`.
//
// Endpoints form a grid: IP index (0 primary, 1 alternate) × port index (0 primary, 1 alternate).
// CHANGE-REQUEST flips the index; OTHER-ADDRESS names the endpoint with both indexes flipped (or
// only the port, when there is no second IP: it is all a client can use).
//
// Abuse bounds: only Binding requests are answered (never responses, so two servers cannot ping
// each other forever), a response carries no more than the standard attributes plus at most the
// request's own PADDING (no amplification beyond a small fixed size), and each source IP has a
// token bucket.
import type { SocketAddr } from '../net/types.js';
import { RateLimiter, type RateLimitOptions } from '../util/rate-limit.js';
import { ATTR, BINDING, decodeStun, encodeStun, isStun, type StunMessage } from './stun-codec.js';

export type Index = 0 | 1;
export interface EndpointIndex {
  readonly ip: Index;
  readonly port: Index;
}
export const PRIMARY: EndpointIndex = { ip: 0, port: 0 };

export interface StunServerConfig {
  /** Primary IP, then optionally an alternate IP of the same host. */
  readonly ips: readonly [string] | readonly [string, string];
  /** Primary port, then optionally an alternate port (bound on every IP). */
  readonly ports: readonly [number] | readonly [number, number];
  /**
   * Local IPs to bind, by IP index, where they differ from the advertised ones (a cloud host
   * behind 1:1 NAT binds its private IP or 0.0.0.0 but must name its public IP in OTHER-ADDRESS).
   */
  readonly bindIps?: readonly string[];
}

export interface ResponderOptions {
  readonly software: string;
  readonly rate: RateLimitOptions;
}

export const DEFAULT_RESPONDER: ResponderOptions = {
  software: 'porthole',
  // A classification costs ~15 requests; natdiscovery ~10 per run.
  rate: { ratePerSec: 40, burst: 80, maxKeys: 10_000 },
};

export interface StunReply {
  readonly data: Uint8Array;
  readonly via: EndpointIndex;
  readonly to: SocketAddr;
}

export interface ResponderStats {
  answered: number;
  errors: number;
  dropped: number;
  limited: number;
}

export class StunResponder {
  private readonly limiter: RateLimiter;
  readonly stats: ResponderStats = { answered: 0, errors: 0, dropped: 0, limited: 0 };

  constructor(
    private readonly config: StunServerConfig,
    private readonly opts: ResponderOptions = DEFAULT_RESPONDER,
  ) {
    this.limiter = new RateLimiter(opts.rate);
  }

  /** The address of endpoint `i`, or undefined when the server has no such endpoint. */
  endpoint(i: EndpointIndex): SocketAddr | undefined {
    const ip = this.config.ips[i.ip];
    const port = this.config.ports[i.port];
    return ip === undefined || port === undefined ? undefined : { ip, port };
  }

  /** Every endpoint the server has, primary first. */
  endpoints(): EndpointIndex[] {
    const out: EndpointIndex[] = [];
    for (const ip of [0, 1] as const)
      for (const port of [0, 1] as const) if (this.endpoint({ ip, port })) out.push({ ip, port });
    return out;
  }

  /** The answer to `data` received from `from` on endpoint `at`; undefined: stay silent. */
  handle(
    data: Uint8Array,
    from: SocketAddr,
    at: EndpointIndex,
    now: number,
  ): StunReply | undefined {
    if (!isStun(data)) return this.drop();
    const d = decodeStun(data);
    // Not a well-formed request: silence (RFC 8489 §6.3: malformed messages are discarded).
    if (!d.ok || d.msg.cls !== 'request' || d.msg.method !== BINDING) return this.drop();
    if (!this.limiter.take(from.ip, now)) {
      this.stats.limited++;
      return undefined;
    }
    const req = d.msg;
    const local = this.endpoint(at);
    if (!local) return this.drop();
    const to = req.responsePort ? { ip: from.ip, port: req.responsePort } : from;
    const base = {
      method: BINDING,
      txId: req.txId,
      software: this.opts.software,
      fingerprint: true,
    };

    if (req.unknownRequired)
      return this.error(420, 'Unknown Attribute', at, from, base, req.unknownRequired);
    let via = at;
    if (req.changeRequest && (req.changeRequest.ip || req.changeRequest.port)) {
      const target: EndpointIndex = {
        ip: req.changeRequest.ip ? flip(at.ip) : at.ip,
        port: req.changeRequest.port ? flip(at.port) : at.port,
      };
      // RFC 5780 §6.1: a server without the asked-for alternate answers 420 naming CHANGE-REQUEST.
      if (!this.endpoint(target))
        return this.error(420, 'Unknown Attribute', at, from, base, [ATTR.CHANGE_REQUEST]);
      via = target;
    }
    const other = this.other(at);
    const reply: StunMessage = {
      ...base,
      cls: 'success',
      xorMapped: from,
      mapped: from,
      responseOrigin: this.endpoint(via),
      otherAddress: other,
      // Echo PADDING only as large as the request's own (no amplification).
      padding: req.padding,
    };
    let bytes: Uint8Array;
    try {
      bytes = encodeStun(reply);
    } catch {
      return this.drop(); // a source address we cannot write (e.g. an IPv6 zone id)
    }
    this.stats.answered++;
    return { data: bytes, via, to };
  }

  /** OTHER-ADDRESS for a request received on `at`. */
  private other(at: EndpointIndex): SocketAddr | undefined {
    const both = this.endpoint({ ip: flip(at.ip), port: flip(at.port) });
    return both ?? this.endpoint({ ip: at.ip, port: flip(at.port) });
  }

  private error(
    code: number,
    reason: string,
    at: EndpointIndex,
    to: SocketAddr,
    base: Omit<StunMessage, 'cls'>,
    unknown: readonly number[],
  ): StunReply {
    this.stats.errors++;
    const data = encodeStun({
      ...base,
      cls: 'error',
      error: { code, reason },
      unknownAttributes: unknown,
    });
    return { data, via: at, to };
  }

  private drop(): undefined {
    this.stats.dropped++;
    return undefined;
  }
}

const flip = (i: Index): Index => (i === 0 ? 1 : 0);
