// The birthday punch's theory and the interval the matrix test judges the simulator with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { birthdayOdds, punchOdds, wilsonInterval, Z_999 } from '../../src/sim/odds.js';

test("500 × 500 over 65,536 ports is the patent's 97.8%; over Linux's 64,512 it is 97.9%", () => {
  const near = (x: number, want: number) => assert.ok(Math.abs(x - want) < 0.001, `${x}`);
  near(birthdayOdds(500, 500, 65_536), 0.978); // 0.97828
  near(birthdayOdds(500, 500, 64_512), 0.979); // 0.97956: "97.9" truncated, 98.0 rounded
});

test('edge cases: nothing sprayed, every port sprayed, no sockets, empty pool', () => {
  assert.equal(birthdayOdds(0, 500, 64_512), 0);
  assert.equal(birthdayOdds(64_512, 1, 64_512), 1);
  assert.equal(birthdayOdds(500, 0, 64_512), 0);
  assert.equal(birthdayOdds(500, 500, 0), 0);
});

test('Wilson 99.9% interval contains the observed rate and narrows with more trials', () => {
  const small = wilsonInterval(98, 100, Z_999);
  const big = wilsonInterval(1960, 2000, Z_999);
  assert.ok(small.lo < 0.98 && 0.98 < small.hi);
  assert.ok(big.lo < 0.98 && 0.98 < big.hi);
  assert.ok(big.hi - big.lo < small.hi - small.lo);
  assert.deepEqual(wilsonInterval(0, 0, Z_999), { lo: 0, hi: 1 });
});

test('a re-spray after the sockets mapped squares the miss (near enough)', () => {
  const once = birthdayOdds(500, 500, 64_512);
  assert.equal(punchOdds(500, 500, 64_512, 0), once);
  const twice = punchOdds(500, 500, 64_512, 1);
  assert.ok(Math.abs(1 - twice - (1 - once) ** 2) < 1e-6, `${twice}`);
});
