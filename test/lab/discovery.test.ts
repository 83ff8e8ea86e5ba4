// NAT discovery on real kernel NAT: behind each lab router kind, our classifier and coturn's
// turnutils_natdiscovery both probe the STUN server on the lab's rendezvous host (two IPs, two
// ports) and must agree with the kind the lab built. Fails loudly without root.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDiscovery, discoveryRow } from '../../lab/discovery-check.js';
import { parseSite } from '../../lab/topology.js';
import type { NatClass } from '../../src/discovery/nat-class.js';
import { requireLab, skipLab } from './prereq.js';

type Want = Pick<NatClass, 'mapping' | 'filtering' | 'allocation' | 'natDepth' | 'hairpin'>;
const KINDS: Record<string, { want: Want; coturn: [string, string] }> = {
  full: {
    want: {
      mapping: 'independent',
      filtering: 'independent',
      allocation: 'preserving',
      hairpin: false,
    },
    coturn: ['Endpoint Independent Mapping', 'Endpoint Independent Filtering'],
  },
  restricted: {
    // No depth: the lab's router opens an address for the whole host, so the control of the
    // depth search gets in without a probe (and the search says so).
    want: {
      mapping: 'independent',
      filtering: 'address',
      allocation: 'preserving',
      hairpin: false,
    },
    coturn: ['Endpoint Independent Mapping', 'Address Dependent Filtering'],
  },
  port: {
    want: {
      mapping: 'independent',
      filtering: 'address-port',
      allocation: 'preserving',
      hairpin: false,
      natDepth: 1,
    },
    coturn: ['Endpoint Independent Mapping', 'Address and Port Dependent Filtering'],
  },
  symmetric: {
    want: {
      mapping: 'address-port',
      filtering: 'address-port',
      allocation: 'random',
      hairpin: false,
    },
    coturn: ['Address and Port Dependent Mapping', 'Address and Port Dependent Filtering'],
  },
  'cgnat-port': {
    want: {
      mapping: 'independent',
      filtering: 'address-port',
      allocation: 'preserving',
      hairpin: false,
      natDepth: 2,
    },
    coturn: ['Endpoint Independent Mapping', 'Address and Port Dependent Filtering'],
  },
  'cgnat-symmetric': {
    want: {
      mapping: 'address-port',
      filtering: 'address-port',
      allocation: 'random',
      hairpin: false,
    },
    coturn: ['Address and Port Dependent Mapping', 'Address and Port Dependent Filtering'],
  },
};

test(
  'lab discovery: our classifier and coturn natdiscovery agree with every router kind',
  { skip: skipLab, timeout: 120_000 },
  async () => {
    requireLab();
    const rows: string[] = [];
    for (const [kind, { want, coturn }] of Object.entries(KINDS)) {
      const c = await checkDiscovery(parseSite(kind));
      rows.push(discoveryRow(c));
      const got: Want = {
        mapping: c.nat.mapping,
        filtering: c.nat.filtering,
        allocation: c.nat.allocation,
        hairpin: c.nat.hairpin,
        ...(c.nat.natDepth !== undefined ? { natDepth: c.nat.natDepth } : {}),
      };
      assert.deepEqual(got, want, `${kind}: ${JSON.stringify(c)}`);
      for (const v of coturn)
        assert.ok(c.coturn.includes(v), `${kind}: coturn says ${c.coturn.join(', ')}; want ${v}`);
    }
    console.log(rows.join('\n'));
  },
);
