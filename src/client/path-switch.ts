// The path switch (docs/seams.md §3): the MessageChannel the Noise channel sits on. It forwards
// to the current Path and can move onto another one (relayed → punched on upgrade, back to the
// relay when the direct path dies) without touching the Noise session above it, whose counters
// and replay window are per session, not per path. Frames arriving on the previous path during
// the overlap are still delivered (Noise drops duplicates and replays).
import type { MessageChannel } from '../net/channel.js';
import type { Path, PathKind } from '../net/path.js';

export interface PathChange {
  kind: PathKind;
  remote: string;
  /** Why the previous path was left ("upgrade", or the dead path's close reason). */
  reason: string;
}

export class PathSwitch implements MessageChannel {
  private current: Path;
  private previous: Path | undefined;
  private msgCb: (data: Uint8Array) => void = () => {};
  private changeCbs: ((c: PathChange) => void)[] = [];
  private lostCbs: ((p: Path, reason: string) => void)[] = [];
  private closed = false;

  constructor(first: Path) {
    this.current = first;
    this.attach(first);
  }

  get path(): Path {
    return this.current;
  }

  send(data: Uint8Array): void {
    if (!this.closed) this.current.send(data);
  }

  onMessage(cb: (data: Uint8Array) => void): void {
    this.msgCb = cb;
  }

  /** Path changes, for reports (client watch --json, the app's badge). */
  onChange(cb: (c: PathChange) => void): void {
    this.changeCbs.push(cb);
  }

  /** The current path closed under us: the owner decides where to go (switchTo, or close). */
  onLost(cb: (p: Path, reason: string) => void): void {
    this.lostCbs.push(cb);
  }

  /** Moves the live channel onto `next`; the old path is closed after `lingerMs` (caller's clock). */
  switchTo(next: Path, reason: string): Path {
    const old = this.current;
    if (this.closed || next === old) return old;
    this.previous?.close();
    this.previous = old;
    this.current = next;
    this.attach(next);
    for (const cb of this.changeCbs) cb({ kind: next.kind, remote: next.remote, reason });
    return old;
  }

  /** Closes the path left by the last switch (after a short overlap). */
  dropPrevious(): void {
    const p = this.previous;
    this.previous = undefined;
    p?.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.previous?.close();
    this.current.close();
  }

  private attach(p: Path): void {
    p.onMessage((d) => {
      if (!this.closed && (p === this.current || p === this.previous)) this.msgCb(d);
    });
    p.onClose((reason) => {
      if (this.closed || p !== this.current) return;
      for (const cb of this.lostCbs) cb(p, reason);
    });
  }
}
