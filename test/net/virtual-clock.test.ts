// The virtual clock and the seeded randomness the simulator's determinism rests on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../src/net/virtual/clock.js';
import { SeededRandom } from '../../src/net/virtual/rng.js';

test('events run in time order, ties in insertion order, synchronously', () => {
  const c = new VirtualClock();
  const order: string[] = [];
  c.setTimer(20, () => order.push('b@20'));
  c.setTimer(10, () => order.push('a@10'));
  c.setTimer(20, () => order.push('c@20'));
  c.setTimer(10, () => {
    order.push('d@10');
    c.setTimer(0, () => order.push(`e@${c.now()}`));
  });
  c.run();
  assert.deepEqual(order, ['a@10', 'd@10', 'e@10', 'b@20', 'c@20']);
  assert.equal(c.now(), 20);
});

test('runUntil stops at the given time and moves the clock there; cancelled timers never fire', () => {
  const c = new VirtualClock();
  let fired = 0;
  c.setTimer(5, () => fired++);
  const t = c.setTimer(6, () => fired++);
  c.setTimer(50, () => fired++);
  t.cancel();
  c.runUntil(30);
  assert.equal(fired, 1);
  assert.equal(c.now(), 30);
  c.run(Infinity, () => fired === 2);
  assert.equal(c.now(), 50);
});

test('a heap of many random timers comes out sorted', () => {
  const c = new VirtualClock();
  const rng = new SeededRandom(3);
  const seen: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const at = rng.int(1000);
    c.setTimer(at, () => seen.push(c.now()));
  }
  c.run();
  assert.equal(seen.length, 5000);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1]! <= seen[i]!);
});

test('seeded randomness: same seed same stream, ints in range, roughly uniform', () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const c = new SeededRandom(43);
  const xs = Array.from({ length: 100 }, () => a.next());
  assert.deepEqual(
    xs,
    Array.from({ length: 100 }, () => b.next()),
  );
  assert.notDeepEqual(
    xs,
    Array.from({ length: 100 }, () => c.next()),
  );
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const v = a.int(10);
    assert.ok(v >= 0 && v < 10);
    counts[v]!++;
  }
  for (const n of counts) assert.ok(n > 9500 && n < 10500, `bucket ${n}`);
  assert.equal(a.bytes(7).length, 7);
});
