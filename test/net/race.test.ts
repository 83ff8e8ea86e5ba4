import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPortholeError } from '../../src/errors.js';
import {
  raceAttempts,
  type Attempt,
  type AttemptOutcome,
  type RaceResult,
} from '../../src/net/race.js';
import { FakeClock } from '../support/fakes.js';

/** An attempt the test drives by hand; records when it started and whether it was cancelled. */
class Manual implements Attempt<string> {
  startedAt: number | null = null;
  cancelled = false;
  private done: ((o: AttemptOutcome<string>) => void) | null = null;
  constructor(private readonly clock: FakeClock) {}
  start(done: (o: AttemptOutcome<string>) => void): void {
    this.startedAt = this.clock.now();
    this.done = done;
  }
  cancel(): void {
    this.cancelled = true;
  }
  succeed(v: string): void {
    this.done?.({ ok: true, value: v });
  }
  fail(msg: string): void {
    this.done?.({ ok: false, error: new Error(msg) });
  }
}

/** An attempt that settles by itself `ms` after it starts (via the clock). */
const timed = (clock: FakeClock, ms: number, outcome: AttemptOutcome<string>) => {
  const a = { started: false, cancelled: false } as { started: boolean; cancelled: boolean };
  let timer: { cancel(): void } | undefined;
  const attempt: Attempt<string> = {
    start(done) {
      a.started = true;
      timer = clock.setTimer(ms, () => done(outcome));
    },
    cancel() {
      a.cancelled = true;
      timer?.cancel();
    },
  };
  return { attempt, a };
};

function setup(opts = { timeoutMs: 5_000 }) {
  const clock = new FakeClock();
  const p = new Manual(clock);
  const f = new Manual(clock);
  const results: RaceResult<string>[] = [];
  const handle = raceAttempts(clock, p, f, opts, (r) => results.push(r));
  return { clock, p, f, results, handle };
}

test('race: the primary alone wins inside its head start; the fallback never starts', () => {
  const { clock, p, f, results } = setup();
  assert.equal(p.startedAt, 0);
  clock.advance(100);
  p.succeed('v6');
  clock.advance(10_000);
  assert.deepEqual(results, [{ ok: true, winner: 'primary', value: 'v6', elapsedMs: 100 }]);
  assert.equal(f.startedAt, null);
  assert.equal(p.cancelled, false);
});

test('race: the fallback starts after 250 ms; the first success wins, the loser is cancelled', () => {
  const { clock, p, f, results } = setup();
  clock.advance(249);
  assert.equal(f.startedAt, null);
  clock.advance(1);
  assert.equal(f.startedAt, 250);
  clock.advance(300);
  f.succeed('v4');
  p.succeed('v6 too late');
  assert.equal(results.length, 1);
  assert.deepEqual(results[0], { ok: true, winner: 'fallback', value: 'v4', elapsedMs: 550 });
  assert.equal(p.cancelled, true);
  assert.equal(f.cancelled, false);
});

test('race: a primary that fails early starts the fallback at once', () => {
  const { clock, p, f, results } = setup();
  clock.advance(30);
  p.fail('no route to host');
  assert.equal(f.startedAt, 30);
  clock.advance(500); // the head-start timer must not start it a second time
  f.succeed('v4');
  assert.deepEqual(results, [{ ok: true, winner: 'fallback', value: 'v4', elapsedMs: 530 }]);
});

test('race: both failing is one typed error carrying both failures', () => {
  const { clock, p, f, results } = setup();
  clock.advance(300);
  f.fail('symmetric NAT on both sides');
  assert.equal(results.length, 0, 'the primary is still running');
  clock.advance(100);
  p.fail('firewall dropped the knock');
  assert.equal(results.length, 1);
  const r = results[0];
  assert.ok(r && !r.ok);
  assert.ok(isPortholeError(r.error, 'both-failed'));
  assert.equal((r.error.detail.primary as Error).message, 'firewall dropped the knock');
  assert.equal((r.error.detail.fallback as Error).message, 'symmetric NAT on both sides');
  assert.match(r.error.message, /firewall dropped the knock.*symmetric NAT/);
});

test('race: the overall timeout cancels both and says where each stood', () => {
  const { clock, p, f, results } = setup({ timeoutMs: 2_000 });
  clock.advance(100);
  p.fail('unreachable');
  clock.advance(1_899);
  assert.equal(results.length, 0);
  clock.advance(1);
  const r = results[0];
  assert.ok(r && !r.ok);
  assert.ok(isPortholeError(r.error, 'timeout'));
  assert.equal(r.error.detail.fallback, 'pending');
  assert.equal((r.error.detail.primary as Error).message, 'unreachable');
  assert.equal(f.cancelled, true);
  assert.equal(p.cancelled, false, 'a finished attempt is not cancelled');
  f.succeed('late');
  assert.equal(results.length, 1);
});

test('race: a timeout shorter than the head start never starts the fallback', () => {
  const { clock, f, p, results } = setup({ timeoutMs: 100 });
  clock.advance(1_000);
  assert.equal(f.startedAt, null);
  assert.equal(p.cancelled, true);
  assert.ok(results[0] && !results[0].ok && results[0].error.detail.fallback === 'not-started');
});

test('race: cancel stops both and done is never called', () => {
  const { clock, p, f, results, handle } = setup();
  clock.advance(300);
  handle.cancel();
  handle.cancel();
  assert.ok(p.cancelled && f.cancelled);
  p.succeed('x');
  clock.advance(10_000);
  assert.equal(results.length, 0);
});

test('race: synchronous outcomes, throwing starts and repeated callbacks are handled', () => {
  const clock = new FakeClock();
  const results: RaceResult<string>[] = [];
  const throws: Attempt<string> = {
    start() {
      throw new Error('socket family not supported');
    },
    cancel() {},
  };
  let calls = 0;
  const chatty: Attempt<string> = {
    start(done) {
      calls++;
      done({ ok: true, value: 'first' });
      done({ ok: true, value: 'second' });
      done({ ok: false, error: new Error('third') });
    },
    cancel() {},
  };
  raceAttempts(clock, throws, chatty, { timeoutMs: 1_000 }, (r) => results.push(r));
  assert.equal(calls, 1);
  assert.deepEqual(results, [{ ok: true, winner: 'fallback', value: 'first', elapsedMs: 0 }]);
  clock.advance(5_000);
  assert.equal(results.length, 1);
});

test('race: self-timed attempts on the clock (custom head start)', () => {
  const clock = new FakeClock();
  const v6 = timed(clock, 400, { ok: true, value: 'v6' });
  const v4 = timed(clock, 100, { ok: true, value: 'v4' });
  const results: RaceResult<string>[] = [];
  raceAttempts(clock, v6.attempt, v4.attempt, { headStartMs: 50, timeoutMs: 5_000 }, (r) =>
    results.push(r),
  );
  clock.advance(1_000);
  assert.deepEqual(results, [{ ok: true, winner: 'fallback', value: 'v4', elapsedMs: 150 }]);
  assert.ok(v6.a.cancelled);
  assert.ok(!v4.a.cancelled);
});
