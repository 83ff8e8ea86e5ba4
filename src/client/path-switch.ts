// The path switch (docs/seams.md §3): the MessageChannel the Noise channel sits on. It forwards
// to the current Path and can move onto another one (relayed → punched on upgrade, back to the
// relay when the direct path dies) without touching the Noise session above it, whose counters
// and replay window are per session, not per path. Frames arriving on the previous path during
// the overlap are still delivered (Noise drops duplicates and replays). A candidate path can be
// tried first (`through`): frames sent inside it go there, and what arrives on it is heard.
import type { Path, PathKind } from '../net/path.js';
import type { Clock } from '../net/types.js';
import { isRoamable, type RoamableChannel, type RoamCheck } from '../net/roam.js';

export interface PathChange {
  kind: PathKind;
  remote: string;
  /** Why the previous path was left ("upgrade", or the dead path's close reason). */
  reason: string;
  /** ms since the channel's first path was up (when the switch was given a clock). */
  afterMs?: number;
}

/** A path that can measure its own round trip (a punched connection); relayed ones cannot. */
export interface PingablePath extends Path {
  ping(timeoutMs: number, cb: (rttMs: number | undefined) => void): void;
}

function isPingable(p: Path): p is PingablePath {
  return typeof (p as Partial<PingablePath>).ping === 'function';
}

export class PathSwitch implements RoamableChannel {
  private current: Path;
  private previous: Path | undefined;
  /** A path being tried (`through`): heard from, not yet switched to. */
  private candidate: Path | undefined;
  private override: Path | undefined;
  private readonly attached = new WeakSet<Path>();
  private msgCb: (data: Uint8Array) => void = () => {};
  private roamCheck: RoamCheck | undefined;
  private changeCbs: ((c: PathChange) => void)[] = [];
  private lostCbs: ((p: Path, reason: string) => void)[] = [];
  private heardCbs: ((p: Path) => void)[] = [];
  private endCbs: (() => void)[] = [];
  private closed = false;

  private readonly since: number | undefined;

  constructor(
    first: Path,
    private readonly clock?: Clock,
  ) {
    this.current = first;
    this.since = clock?.now();
    this.attach(first);
  }

  get path(): Path {
    return this.current;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(data: Uint8Array): void {
    if (!this.closed) (this.override ?? this.current).send(data);
  }

  onMessage(cb: (data: Uint8Array) => void): void {
    this.msgCb = cb;
  }

  /** The Noise channel's roam check, handed to every roamable path (a punched connection). */
  onRoamCandidate(check: RoamCheck): void {
    this.roamCheck = check;
    for (const p of [this.current, this.previous, this.candidate])
      if (p && isRoamable(p)) p.onRoamCandidate(check);
  }

  /** Path changes, for reports (client watch --json, the app's badge). */
  onChange(cb: (c: PathChange) => void): void {
    this.changeCbs.push(cb);
  }

  /** The current path closed under us: the owner decides where to go (switchTo, or close). */
  onLost(cb: (p: Path, reason: string) => void): void {
    this.lostCbs.push(cb);
  }

  /** A frame arrived on `p` (any live path: current, previous or candidate). Returns an unsubscribe. */
  onHeard(cb: (p: Path) => void): () => void {
    this.heardCbs.push(cb);
    return () => {
      this.heardCbs = this.heardCbs.filter((c) => c !== cb);
    };
  }

  /** The switch was closed (by its owner): background work on it stops. */
  onEnd(cb: () => void): void {
    if (this.closed) cb();
    else this.endCbs.push(cb);
  }

  /**
   * Runs `fn` with every send going to `p` instead of the current path, and listens on `p` from
   * now on: how a nudge is sent down a candidate path before the channel moves onto it.
   */
  through(p: Path, fn: () => void): void {
    if (this.closed) return;
    if (p !== this.current && p !== this.previous) this.candidate = p;
    this.attach(p);
    this.override = p;
    try {
      fn();
    } finally {
      this.override = undefined;
    }
  }

  /** Stops listening on a candidate that did not work out (and closes it). */
  abandon(p: Path): void {
    if (this.candidate === p) this.candidate = undefined;
    if (p !== this.current && p !== this.previous) p.close();
  }

  /** Moves the live channel onto `next`; the previous path stays open until dropPrevious(). */
  switchTo(next: Path, reason: string): Path {
    const old = this.current;
    if (this.closed || next === old) return old;
    if (this.previous !== next) this.previous?.close();
    if (this.candidate === next) this.candidate = undefined;
    this.previous = old;
    this.current = next;
    this.attach(next);
    const afterMs =
      this.clock && this.since !== undefined
        ? Math.round(this.clock.now() - this.since)
        : undefined;
    const change: PathChange = { kind: next.kind, remote: next.remote, reason };
    if (afterMs !== undefined) change.afterMs = afterMs;
    for (const cb of this.changeCbs) cb(change);
    return old;
  }

  /** Closes the path left by the last switch (after a short overlap). */
  dropPrevious(): void {
    const p = this.previous;
    this.previous = undefined;
    p?.close();
  }

  /** The current path's round trip; a path that cannot ping answers 0 while it is open. */
  ping(timeoutMs: number, cb: (rttMs: number | undefined) => void): void {
    const p = this.current;
    if (this.closed) return cb(undefined);
    if (isPingable(p)) return p.ping(timeoutMs, cb);
    cb(0);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of [this.candidate, this.previous, this.current]) p?.close();
    for (const cb of this.endCbs.splice(0)) cb();
  }

  private live(p: Path): boolean {
    return p === this.current || p === this.previous || p === this.candidate;
  }

  private attach(p: Path): void {
    if (this.attached.has(p)) return;
    this.attached.add(p);
    if (this.roamCheck && isRoamable(p)) p.onRoamCandidate(this.roamCheck);
    p.onMessage((d) => {
      if (this.closed || !this.live(p)) return;
      this.msgCb(d);
      // Unsubscribing replaces the array, so iterating the current one is safe.
      for (const cb of this.heardCbs) cb(p);
    });
    p.onClose((reason) => {
      if (this.closed || p !== this.current) return;
      for (const cb of this.lostCbs) cb(p, reason);
    });
  }
}
