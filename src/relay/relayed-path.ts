// One relayed session seen from either end as a Path: frames go out as relayData for this
// session through `sendMsg`; the owner feeds incoming payloads and the remote close in.
import { PATH_MAX_PAYLOAD, type Path } from '../net/path.js';
import type { Message } from '../wire/messages.js';
import { RelayCloseCode } from '../wire/relay-messages.js';

export class RelayedPath implements Path {
  readonly kind = 'relayed' as const;
  /** A relayData carries up to MAX_RELAY_PAYLOAD (1,400): one sealed Noise frame of 1,379 plaintext bytes. */
  readonly maxPayload = PATH_MAX_PAYLOAD;
  private msgCbs: Array<(d: Uint8Array) => void> = [];
  private closeCbs: Array<(reason: string) => void> = [];
  private done = false;

  constructor(
    readonly session: string,
    /** For reports: "relay udp 203.0.113.10:7400" (a redirected client path moves it). */
    protected label: string,
    private readonly sendMsg: (msg: Message) => void,
    /** Called once when the path ends, whoever ended it. */
    private readonly onEnd: () => void,
  ) {}

  get remote(): string {
    return this.label;
  }

  get closed(): boolean {
    return this.done;
  }

  send(data: Uint8Array): void {
    if (!this.done) this.sendMsg({ type: 'relayData', session: this.session, payload: data });
  }

  onMessage(cb: (data: Uint8Array) => void): void {
    this.msgCbs.push(cb);
  }

  onClose(cb: (reason: string) => void): void {
    if (this.done) cb('closed');
    else this.closeCbs.push(cb);
  }

  /** Incoming payload for this session. Empty payloads are keepalives and go no further. */
  deliver(payload: Uint8Array): void {
    if (this.done || payload.length === 0) return;
    for (const cb of this.msgCbs) cb(payload);
  }

  /** We close: the relay (and through it the other end) is told. */
  close(): void {
    if (this.done) return;
    this.sendMsg({
      type: 'relayClosed',
      session: this.session,
      code: RelayCloseCode.PeerClosed,
      message: 'closed',
    });
    this.finish('closed');
  }

  /** The relay closed it, with its reason. */
  remoteClosed(reason: string): void {
    this.finish(reason);
  }

  private finish(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.onEnd();
    for (const cb of this.closeCbs.splice(0)) cb(reason);
  }
}
