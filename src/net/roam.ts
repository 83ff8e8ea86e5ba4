// Roaming, as WireGuard does it: when a peer's public address changes mid-session (router reboot,
// CGNAT mapping timeout, Wi-Fi to mobile), its frames arrive from an address the plain channel
// does not talk to. Such a frame is offered to the layer above, which can authenticate it; only a
// frame that authenticates on the live session moves the channel to the new address. Plain
// (unauthenticated) channels never register a check, so they never move.
import type { MessageChannel } from './channel.js';

/** True when `frame` authenticated on the channel's live session (it has then been delivered). */
export type RoamCheck = (frame: Uint8Array) => boolean;

export interface RoamableChannel extends MessageChannel {
  /** Registers the check for frames from an address other than the channel's peer. */
  onRoamCandidate(check: RoamCheck): void;
}

export function isRoamable(ch: MessageChannel): ch is RoamableChannel {
  return typeof (ch as Partial<RoamableChannel>).onRoamCandidate === 'function';
}

/**
 * At most one move per `minIntervalMs` per channel: a frame captured on the path and replayed from
 * elsewhere can move a channel, but not flap it faster than this (the real peer's next frame moves
 * it back, as in WireGuard).
 */
export class RoamGate {
  private lastMove = Number.NEGATIVE_INFINITY;
  moves = 0;
  constructor(private readonly minIntervalMs = 500) {}

  /** May the channel move now? (Checked before the costly authentication.) */
  open(now: number): boolean {
    return now - this.lastMove >= this.minIntervalMs;
  }

  moved(now: number): void {
    this.lastMove = now;
    this.moves++;
  }
}
