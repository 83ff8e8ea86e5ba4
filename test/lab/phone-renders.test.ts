// The soak's judge of the phone page (lab/phone-renders.ts): toggles alternate on/off, so a
// render is matched to its command by order and time, never by state alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alignRenders, judgeRenders, missedRenders, type Render } from '../../lab/phone-renders.js';

/** n toggles one second apart, each answered in 10 ms, starting "on". */
const toggles = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    state: i % 2 ? 'off' : 'on',
    sent: i * 1000,
    end: i * 1000 + 10,
  }));
const promptly = (cs: ReturnType<typeof toggles>): Render[] =>
  cs.map((c) => ({ state: c.state, at: c.end + 5 }));

test('one render never seen does not shift every later command (the hour of 2026-12-04)', () => {
  const cs = toggles(200);
  const renders = promptly(cs).slice(1); // the page's first render happened before the observer
  const m = alignRenders(cs, renders);
  assert.equal(m[0], -1);
  for (let i = 1; i < cs.length; i++) assert.equal(m[i], i - 1, `command ${i}`);
  // A real 3 s stall later on is late, not missed (the greedy judge counted it missed).
  const stalled = renders.map((r, k) => (k >= 100 && k < 103 ? { ...r, at: 103_020 } : r));
  const missed = missedRenders(cs, stalled, 5000).map((x) => x.index);
  assert.deepEqual(missed, [0]);
});

test('a late burst is matched in order: only what came over 5 s after its answer is late', () => {
  const cs = toggles(10);
  const renders: Render[] = [
    ...promptly(cs).slice(0, 4),
    // commands 4-9 stall and come in a burst at 10 s, in order
    ...cs.slice(4).map((c, k) => ({ state: c.state, at: 10_000 + k })),
  ];
  const missed = missedRenders(cs, renders, 5000);
  assert.deepEqual(
    missed.map((x) => x.index),
    [4],
  );
  assert.equal(missed[0]?.render?.at, 10_000, 'command 4: its own render, late');
});

test('two states the page skipped are two not shown (superseded), not a shift of all later ones', () => {
  const cs = toggles(40);
  // The page shows 0-7, skips 8 and 9 (on, off), then shows 10 onwards on time.
  const renders = promptly(cs).filter((_, i) => i !== 8 && i !== 9);
  assert.equal(missedRenders(cs, renders, 5000).length, 2);
  // The page caught up with command 10's state 1-2 s after their answers: superseded, not missed.
  const kinds = judgeRenders(cs, renders, 5000).map((v) => v.kind);
  assert.deepEqual(
    kinds.flatMap((k, i) => (k === 'shown' ? [] : [`${i} ${k}`])),
    ['8 superseded', '9 superseded'],
  );
  // A page stuck on command 7's state until 20 s: 8-15 missed (no newer state within 5 s).
  const stuck = promptly(cs).filter((r, i) => i <= 7 || r.at >= 20_000);
  const missed = judgeRenders(cs, stuck, 5000).flatMap((v, i) => (v.kind === 'missed' ? [i] : []));
  assert.deepEqual(missed, [8, 9, 10, 11, 12, 13, 14, 15]);
});

test('a long soak is aligned in chunks with a bounded table', () => {
  const cs = toggles(5000);
  const renders = promptly(cs).filter((_, i) => i % 997 !== 0);
  const missed = missedRenders(cs, renders, 5000).map((x) => x.index);
  assert.deepEqual(
    missed,
    cs.map((_, i) => i).filter((i) => i % 997 === 0),
  );
});
