import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NatClass } from '../../src/discovery/nat-class.js';
import {
  chooseMethod,
  misfits,
  homeLabelOf,
  relayReason,
  roundShape,
  type Method,
} from '../../src/punch/strategy.js';

const cls = (
  mapping: NatClass['mapping'],
  allocation: NatClass['allocation'] = 'random',
  filtering: NatClass['filtering'] = 'address-port',
): NatClass => ({
  mapping,
  filtering,
  allocation,
  ...(allocation === 'sequential' ? { delta: 1 } : {}),
});

const CLASSES: Record<string, NatClass> = {
  unknown: cls('unknown', 'unknown', 'unknown'),
  full: cls('independent', 'preserving', 'independent'),
  port: cls('independent', 'random'),
  addr: cls('address', 'random'),
  sym: cls('address-port', 'random'),
  seq: cls('address-port', 'sequential'),
};

/** The ladder's first three rounds for every (home, client) class pair. */
function rounds(home: NatClass, client: NatClass): Array<Method | 'relay'> {
  const tried: Method[] = [];
  const out: Array<Method | 'relay'> = [];
  for (let i = 0; i < 3; i++) {
    const m = chooseMethod(home, client, tried);
    out.push(m);
    if (m === 'relay') break;
    tried.push(m);
  }
  return out;
}

const EXPECTED: Record<string, Record<string, Array<Method | 'relay'>>> = {
  unknown: {
    unknown: ['spray', 'reverse', 'spray'],
    full: ['spray', 'reverse', 'spray'],
    port: ['spray', 'reverse', 'spray'],
    addr: ['spray', 'reverse', 'spray'],
    sym: ['spray', 'reverse', 'spray'],
    seq: ['spray', 'reverse', 'spray'],
  },
  // A full-cone home lets the symmetric client's fresh mapping in: the knock first.
  full: {
    full: ['knock', 'spray', 'reverse'],
    port: ['knock', 'spray', 'reverse'],
    addr: ['knock', 'spray', 'reverse'],
    sym: ['knock', 'spray', 'reverse'],
    seq: ['knock', 'predict', 'spray'],
  },
  port: {
    full: ['knock', 'spray', 'reverse'],
    port: ['knock', 'spray', 'reverse'],
    addr: ['spray', 'reverse', 'spray'],
    sym: ['spray', 'reverse', 'spray'],
    seq: ['predict', 'spray', 'reverse'],
  },
  addr: {
    full: ['knock', 'reverse', 'spray'],
    port: ['reverse', 'spray', 'reverse'],
    addr: ['relay'],
    sym: ['relay'],
    seq: ['relay'],
  },
  sym: {
    full: ['knock', 'reverse', 'spray'],
    port: ['reverse', 'spray', 'reverse'],
    addr: ['relay'],
    sym: ['relay'],
    seq: ['relay'],
  },
  seq: {
    full: ['knock', 'predict', 'reverse'],
    port: ['predict', 'reverse', 'spray'],
    addr: ['relay'],
    sym: ['relay'],
    seq: ['relay'],
  },
};

test('the ladder for every (home, client) class pair', () => {
  for (const [h, row] of Object.entries(EXPECTED))
    for (const [c, want] of Object.entries(row))
      assert.deepEqual(rounds(CLASSES[h]!, CLASSES[c]!), want, `home ${h} × client ${c}`);
  // A client whose class is not known (yet) is planned as a port-restricted cone.
  const pending: Record<string, Array<Method | 'relay'>> = {
    full: ['knock', 'spray', 'reverse'],
    port: ['knock', 'spray', 'reverse'],
    sym: ['reverse', 'spray', 'reverse'],
    seq: ['predict', 'reverse', 'spray'],
  };
  for (const [h, want] of Object.entries(pending))
    assert.deepEqual(rounds(CLASSES[h]!, CLASSES.unknown!), want, h);
});

test('a round planned without the client class misfits only when it cannot work for the pair', () => {
  // Knock, planned for a cone client, against a port-restricted home: a symmetric client's new
  // mapping is filtered, so the next round starts at once; a full-cone home lets it in.
  assert.equal(misfits(CLASSES.port!, CLASSES.sym!, 'knock'), true);
  assert.equal(misfits(CLASSES.full!, CLASSES.sym!, 'knock'), false);
  assert.equal(misfits(CLASSES.sym!, CLASSES.sym!, 'reverse'), true, 'relay');
  assert.equal(misfits(CLASSES.sym!, CLASSES.full!, 'reverse'), false);
  assert.equal(misfits(CLASSES.unknown!, CLASSES.sym!, 'spray'), false);
});

test('the symmetric home × cone client goes reversed first; the relay reason names both', () => {
  assert.equal(chooseMethod(CLASSES.sym!, CLASSES.port!, []), 'reverse');
  assert.deepEqual(roundShape('reverse', CLASSES.sym!, CLASSES.port!), {
    kind: 'client-sprays',
    predict: false,
  });
  assert.equal(
    relayReason(CLASSES.sym!, CLASSES.sym!),
    'both NATs map per destination (home: symmetric (random), client: symmetric (random))',
  );
  // The client reads the home's class back out of the refusal (issue 21 item 5).
  const seq = { ...CLASSES.sym!, allocation: 'sequential' as const, delta: 2, natDepth: 2 };
  assert.equal(homeLabelOf(relayReason(seq, CLASSES.sym!)), 'symmetric (sequential +2, depth 2)');
  assert.equal(homeLabelOf('some other text (home: x'), undefined);
});

test('a predict round knocks at the sequential side', () => {
  assert.deepEqual(roundShape('predict', CLASSES.port!, CLASSES.seq!), {
    kind: 'home-sprays',
    predict: true,
  });
  assert.deepEqual(roundShape('predict', CLASSES.seq!, CLASSES.port!), {
    kind: 'client-sprays',
    predict: true,
  });
  assert.deepEqual(roundShape('knock', CLASSES.port!, CLASSES.port!), { kind: 'knock' });
});
