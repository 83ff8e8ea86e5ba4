// The secure channel's framing, platform-neutral (issue 18): the same code runs in Node (with
// noise-handshake's libsodium, secure/noise-channel.ts) and in the browser (with the @noble
// libraries, secure/noise-ik.ts). Only the handshake and the AEAD are injected; the frame format,
// counters, replay window, nudges and roaming live here once.
//
// Frames (inside the plain channel's data messages):
//   0x01 | IK message 1            client → home (retransmitted until answered)
//   0x02 | IK message 2            home → client (cached and re-sent for a duplicate message 1)
//   0x03 | counter (u32) | AEAD    either way; header is the associated data
//   0x04 | reason (ASCII)          home → client: refused (a hint only; it is unauthenticated)
//   0x05 | counter (u32) | AEAD    home → client: closed, with its reason (authenticated, as 0x03;
//                                  e.g. "revoked"); an older client ignores the unknown type
// A 0x03 frame with an empty plaintext is a nudge: it authenticates on the session (so it can move
// the peer onto a new path, net/roam.ts) and is never delivered; one that moved the channel is
// answered with a nudge on the new path, which tells the mover the other side followed.
// Noise_IK_25519_ChaChaPoly_BLAKE2b, prologue "porthole-noise-v1"; transport nonces are the
// explicit counter (Noise's 8-byte little-endian n after 4 zero bytes).
import { Retransmitter } from '../net/retransmit.js';
import type { Clock } from '../net/types.js';
import type { MessageChannel } from '../net/channel.js';
import { isRoamable } from '../net/roam.js';
import { PortholeError } from '../errors.js';
import { concatBytes, fromLatin1, fromUtf8, latin1, utf8 } from '../wire/bytes.js';
import { ReplayWindow } from './replay-window.js';

export const NOISE_PROTOCOL = 'Noise_IK_25519_ChaChaPoly_BLAKE2b';
export const PROLOGUE = latin1('porthole-noise-v1');
export const HS1 = 1;
export const HS2 = 2;
export const DATA = 3;
export const REFUSED = 4;
export const CLOSE = 5;
/**
 * Largest plaintext per datagram: fits the 1,400-byte data/relay payload (docs/seams.md §8) with
 * header and tag. The RPC keeps to 1,024; only stream frames (src/streams) use the rest.
 */
export const MAX_PLAINTEXT = 1400 - 5 - 16;
const MAX_COUNTER = 0xffffffff;

export interface SecureChannel extends MessageChannel {
  /** Sends an authenticated empty frame (a path-change signal, see the header). */
  nudge(): void;
  /** Tells the peer, authenticated, why the channel ends (0x05), then closes it. */
  closeWith(reason: string): void;
  onReady(cb: () => void): void;
  onError(cb: (err: Error) => void): void;
  readonly ready: boolean;
}

/** One direction's AEAD (ChaCha20-Poly1305 with the Noise nonce for counter `n`). */
export interface TransportCipher {
  seal(n: number, ad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Throws when the frame does not authenticate. */
  open(n: number, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}

export interface Keys {
  send: TransportCipher;
  recv: TransportCipher;
}

/** The initiator's half of Noise IK: message 1 out, message 2 in (throws if not the home). */
export interface IkInitiator {
  writeMessage1(payload: Uint8Array): Uint8Array;
  readMessage2(msg: Uint8Array): Keys;
}

/** Shared transport half: counters, replay window, framing. */
class Session {
  private sendCounter = 0;
  private readonly window = new ReplayWindow(1024);
  dropped = 0;
  constructor(
    private readonly keys: Keys,
    private readonly transport: MessageChannel,
  ) {}

  seal(plaintext: Uint8Array, type = DATA): void {
    if (plaintext.length > MAX_PLAINTEXT)
      throw new RangeError(`secure message over ${MAX_PLAINTEXT} bytes`);
    if (this.sendCounter > MAX_COUNTER) throw new Error('channel used up its counters; reconnect');
    const n = this.sendCounter++;
    const header = new Uint8Array([type, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
    this.transport.send(concatBytes(header, this.keys.send.seal(n, header, plaintext)));
  }

  /**
   * `roaming`: a frame from a new address, tried on every live session: it must also be newer
   * than any counter seen, and a failure is not this session's drop.
   */
  open(frame: Uint8Array, roaming = false): Uint8Array | undefined {
    const fail = (): undefined => (roaming ? undefined : this.drop());
    if (frame.length < 5 + 16) return fail();
    const header = frame.slice(0, 5);
    const n =
      (header[1] as number) * 0x1000000 +
      (((header[2] as number) << 16) | ((header[3] as number) << 8) | (header[4] as number));
    if (!this.window.check(n) || (roaming && n <= this.window.newest)) return fail();
    try {
      const pt = this.keys.recv.open(n, header, frame.subarray(5));
      this.window.mark(n);
      return pt;
    } catch {
      return fail();
    }
  }

  private drop(): undefined {
    this.dropped++;
    return undefined;
  }
}

export abstract class BaseChannel implements SecureChannel {
  protected session: Session | undefined;
  protected msgCbs: Array<(d: Uint8Array) => void> = [];
  protected readyCbs: Array<() => void> = [];
  protected errorCbs: Array<(e: Error) => void> = [];
  protected closed = false;

  constructor(protected readonly transport: MessageChannel) {
    transport.onMessage((frame) => {
      if (this.closed || frame.length === 0) return;
      try {
        this.onFrame(frame);
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)));
      }
    });
    if (isRoamable(transport)) transport.onRoamCandidate((frame) => this.roamed(frame));
  }

  /**
   * A frame from the peer's new address: it moves the channel only if it authenticates on this
   * session with a counter newer than any seen (so neither a forgery nor a replay moves it).
   */
  private roamed(frame: Uint8Array): boolean {
    if (this.closed || !this.session || frame[0] !== DATA) return false;
    const pt = this.session.open(frame, true);
    if (!pt) return false;
    // The transport already points at the new path: the answer goes there.
    if (pt.length === 0) this.session.seal(pt);
    else for (const cb of this.msgCbs) cb(pt);
    return true;
  }

  protected abstract onFrame(frame: Uint8Array): void;

  get ready(): boolean {
    return this.session !== undefined;
  }

  get droppedFrames(): number {
    return this.session?.dropped ?? 0;
  }

  send(data: Uint8Array): void {
    if (!this.session) throw new Error('secure channel not ready');
    if (data.length === 0) throw new RangeError('empty secure message (use nudge)');
    if (!this.closed) this.session.seal(data);
  }

  nudge(): void {
    if (this.session && !this.closed) this.session.seal(new Uint8Array(0));
  }

  closeWith(reason: string): void {
    if (this.session && !this.closed) this.session.seal(utf8(reason.slice(0, 120)), CLOSE);
    this.close();
  }

  onMessage(cb: (d: Uint8Array) => void): void {
    this.msgCbs.push(cb);
  }

  onReady(cb: () => void): void {
    if (this.session) cb();
    else this.readyCbs.push(cb);
  }

  onError(cb: (e: Error) => void): void {
    this.errorCbs.push(cb);
  }

  protected deliver(frame: Uint8Array): void {
    const pt = this.session?.open(frame);
    if (pt?.length) for (const cb of this.msgCbs) cb(pt);
  }

  protected becomeReady(keys: Keys): void {
    this.session = new Session(keys, this.transport);
    for (const cb of this.readyCbs.splice(0)) cb();
  }

  protected fail(err: Error): void {
    for (const cb of this.errorCbs) cb(err);
  }

  close(): void {
    this.closed = true;
    this.transport.close();
  }
}

// --- client (initiator) -----------------------------------------------------------------------

export interface InitiatorOptions {
  /** Sent encrypted in message 1 (pairing proof, or empty). */
  payload?: Uint8Array;
  clock: Clock;
  /** First retransmission of message 1 (ms); backs off to 5x this. */
  retransmitMs?: number;
  maxSends?: number;
}

class SecureClient extends BaseChannel {
  private readonly msg1: Uint8Array;
  private readonly resend: Retransmitter;

  constructor(
    transport: MessageChannel,
    private readonly hs: IkInitiator,
    o: InitiatorOptions,
  ) {
    super(transport);
    this.msg1 = concatBytes(
      new Uint8Array([HS1]),
      hs.writeMessage1(o.payload ?? new Uint8Array(0)),
    );
    const rtoMs = o.retransmitMs ?? 300;
    this.resend = new Retransmitter(
      o.clock,
      { rtoMs, maxRtoMs: 5 * rtoMs, maxSends: o.maxSends ?? 6 },
      () => this.transport.send(this.msg1),
      () => this.fail(new Error('the home did not answer the secure handshake')),
    ).start();
  }

  protected onFrame(frame: Uint8Array): void {
    const type = frame[0];
    if (type === HS2 && !this.session) {
      const keys = this.hs.readMessage2(frame.subarray(1)); // throws if not the paired home
      this.resend.ack();
      this.becomeReady(keys);
    } else if (type === DATA) {
      this.deliver(frame);
    } else if (type === REFUSED && !this.session) {
      this.resend.cancel();
      this.fail(new Error(`the home refused: ${fromLatin1(frame.subarray(1, 200))}`));
    } else if (type === CLOSE && this.session) {
      // Authenticated like data (the type byte is in the associated data): a forgery is dropped.
      const pt = this.session.open(frame);
      if (!pt) return;
      const reason = fromUtf8(pt).replace(/[^\x20-\x7e]/g, '?');
      // Told first, then closed: the owner learns why before the transport reports a close.
      this.fail(
        new PortholeError('home-closed', `the home closed the channel: ${reason}`, { reason }),
      );
      this.close();
    }
  }

  override close(): void {
    this.resend.cancel();
    super.close();
  }
}

/** A client channel over any IK initiator (noise-handshake in Node, @noble in the browser). */
export function initiatorChannel(
  transport: MessageChannel,
  hs: IkInitiator,
  o: InitiatorOptions,
): SecureChannel {
  return new SecureClient(transport, hs, o);
}
