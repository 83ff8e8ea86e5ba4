// Happy Eyeballs between two ways to reach a peer (issue 13; RFC 8305 in spirit): start the
// primary attempt (IPv6: a simultaneous knock), give it a head start, then start the fallback
// (IPv4 traversal) unless the primary already failed, in which case the fallback starts at once.
// The first success wins and the other attempt is cancelled; both failing, or the overall
// deadline passing, is a typed error carrying what each attempt said.
//
// Pure over the Env clock: no real timers, no promises between an event and its reaction.
import { PortholeError } from '../errors.js';
import type { Clock, TimerHandle } from './types.js';

export type AttemptOutcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

/** One way to reach the peer. `done` is honoured once; after `cancel()` it is ignored. */
export interface Attempt<T> {
  start(done: (outcome: AttemptOutcome<T>) => void): void;
  cancel(): void;
}

export type RaceSide = 'primary' | 'fallback';

export interface RaceOptions {
  /** How long the primary runs alone, ms (RFC 8305 suggests 250). */
  readonly headStartMs?: number;
  /** Overall deadline from the start of the race, ms. */
  readonly timeoutMs: number;
}

export const DEFAULT_HEAD_START_MS = 250;

export type RaceErrorKind = 'both-failed' | 'timeout';

/** Where each attempt stood when the race ended. */
export type SideState = 'not-started' | 'pending' | 'succeeded' | Error;

export interface RaceErrorDetail {
  readonly primary: SideState;
  readonly fallback: SideState;
  readonly elapsedMs: number;
}

const describe = (s: SideState): string => (s instanceof Error ? s.message : s);

export function raceError(kind: RaceErrorKind, d: RaceErrorDetail): PortholeError<RaceErrorKind> {
  const what =
    kind === 'timeout'
      ? `no path within ${d.elapsedMs} ms`
      : `both paths failed after ${d.elapsedMs} ms`;
  const text = `${what} (primary: ${describe(d.primary)}; fallback: ${describe(d.fallback)})`;
  return new PortholeError(kind, text, { ...d });
}

export type RaceResult<T> =
  | { readonly ok: true; readonly winner: RaceSide; readonly value: T; readonly elapsedMs: number }
  | { readonly ok: false; readonly error: PortholeError<RaceErrorKind> };

export interface RaceHandle {
  /** Stops the race and both attempts; `done` is then never called. */
  cancel(): void;
}

/** Runs the race; `done` is called exactly once unless the race is cancelled first. */
export function raceAttempts<T>(
  clock: Clock,
  primary: Attempt<T>,
  fallback: Attempt<T>,
  opts: RaceOptions,
  done: (result: RaceResult<T>) => void,
): RaceHandle {
  const t0 = clock.now();
  const state: Record<RaceSide, SideState> = { primary: 'not-started', fallback: 'not-started' };
  const attempts: Record<RaceSide, Attempt<T>> = { primary, fallback };
  let over = false;

  const stopAll = (): void => {
    over = true;
    headStart.cancel();
    deadline.cancel();
    for (const side of ['primary', 'fallback'] as const) {
      if (state[side] === 'pending') attempts[side].cancel();
    }
  };
  const finish = (result: RaceResult<T>): void => {
    stopAll();
    done(result);
  };
  const fail = (kind: RaceErrorKind): void => {
    const detail = { ...state, elapsedMs: clock.now() - t0 };
    finish({ ok: false, error: raceError(kind, detail) });
  };

  const onOutcome = (side: RaceSide, o: AttemptOutcome<T>): void => {
    if (over || state[side] !== 'pending') return; // late, repeated, or after cancel
    if (o.ok) {
      state[side] = 'succeeded';
      return finish({ ok: true, winner: side, value: o.value, elapsedMs: clock.now() - t0 });
    }
    state[side] = o.error instanceof Error ? o.error : new Error(String(o.error));
    if (side === 'primary' && state.fallback === 'not-started') return launch('fallback');
    if (state.primary instanceof Error && state.fallback instanceof Error) fail('both-failed');
  };

  function launch(side: RaceSide): void {
    if (over || state[side] !== 'not-started') return;
    if (side === 'fallback') headStart.cancel();
    state[side] = 'pending';
    try {
      attempts[side].start((o) => onOutcome(side, o));
    } catch (err) {
      onOutcome(side, { ok: false, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  // Both timers exist before anything can finish: only launch() below runs the attempts.
  const deadline: TimerHandle = clock.setTimer(Math.max(0, opts.timeoutMs), () => {
    if (!over) fail('timeout');
  });
  const headStart: TimerHandle = clock.setTimer(
    Math.max(0, opts.headStartMs ?? DEFAULT_HEAD_START_MS),
    () => launch('fallback'),
  );
  launch('primary');
  return { cancel: () => void (over || stopAll()) };
}
