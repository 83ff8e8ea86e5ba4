// The short fuzz run of `npm test`: every registered target (test/fuzz/targets/) replays its
// committed corpus — seeds and the inputs of past findings — then runs mutated inputs for a
// bounded time (FUZZ_SHORT_MS per target; by default 28 s shared by all targets). Executions are printed, not
// asserted. The long coverage-guided run: `npm run fuzz` (docs/fuzzing.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Mutator } from './mutate.js';
import { corpusOf, loadTargets } from './registry.js';

const targets = await loadTargets();
/** The step's ~28 s of mutations shared by all targets: more targets, fewer ms each. */
const SHORT_MS = Number(process.env.FUZZ_SHORT_MS ?? Math.floor(28_000 / targets.length));

test('every target has a committed corpus', () => {
  for (const t of targets)
    assert.ok(corpusOf(t.name).length > 0, `test/fuzz/corpus/${t.name}/ is empty`);
});

for (const t of targets) {
  test(`fuzz ${t.name}: corpus and ${SHORT_MS} ms of mutations`, async () => {
    const corpus = corpusOf(t.name);
    for (const { file, data } of corpus) {
      try {
        const r = t.fuzz(data);
        if (r) await r;
      } catch (e) {
        assert.fail(`${t.name}: corpus input ${file} breaks the contract: ${(e as Error).stack}`);
      }
    }
    const m = new Mutator(
      corpus.map((c) => c.data),
      t.maxLen ?? 4096,
      0x5eed,
    );
    const end = performance.now() + SHORT_MS;
    let n = 0;
    while (performance.now() < end) {
      const input = m.next();
      try {
        const r = t.fuzz(input);
        if (r) await r; // only async targets pay for a turn of the event loop
      } catch (e) {
        assert.fail(
          `${t.name}: input ${input.toString('base64')} breaks the contract: ${(e as Error).stack}`,
        );
      }
      n++;
    }
    console.log(`fuzz ${t.name}: ${corpus.length} corpus inputs, ${n} mutated executions`);
  });
}
