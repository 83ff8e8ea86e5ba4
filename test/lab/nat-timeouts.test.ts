// What the lab's kernel NAT keeps: conntrack's UDP timeouts inside a router namespace, against
// the client agent's ping period (the keepalive must land inside the shortest of them).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_KEEPER } from '../../src/client/agent/keeper.js';
import { DEFAULT_CONNECT } from '../../src/client/connector.js';
import { DEFAULT_HOME } from '../../src/home/agent.js';
import { inNs, sh } from '../../lab/netns.js';
import { requireLab, skipLab } from './prereq.js';

test('conntrack UDP timeouts in a lab router vs every keepalive period', { skip: skipLab }, () => {
  requireLab();
  const ns = `ph${process.pid}l0-timeouts`;
  sh('ip', ['netns', 'add', ns]);
  try {
    // A NAT table loads conntrack for the namespace, as on the lab's routers.
    inNs(
      ns,
      'nft',
      ['-f', '-'],
      'table ip nat { chain post { type nat hook postrouting priority 100; masquerade; }; }',
    );
    const read = (k: string): number =>
      Number(inNs(ns, 'sysctl', ['-n', `net.netfilter.${k}`]).trim());
    const unreplied = read('nf_conntrack_udp_timeout');
    const stream = read('nf_conntrack_udp_timeout_stream');
    process.stderr.write(
      `conntrack UDP: ${unreplied} s one-way (unreplied), ${stream} s once answered both ways; ` +
        `keepalives: client agent ${DEFAULT_KEEPER.pingEveryMs / 1000} s, ` +
        `connection ${DEFAULT_CONNECT.keepaliveMs / 1000} s, home→rendezvous ${DEFAULT_HOME.keepaliveMs / 1000} s\n`,
    );
    assert.ok(unreplied >= 10 && stream >= unreplied, `odd timeouts ${unreplied}/${stream}`);
    // Every keepalive lands inside the shortest timeout, with room for one lost packet's retry.
    for (const ms of [
      DEFAULT_KEEPER.pingEveryMs,
      DEFAULT_CONNECT.keepaliveMs,
      DEFAULT_HOME.keepaliveMs,
    ])
      assert.ok(ms < unreplied * 1000, `${ms} ms keepalive outlives the ${unreplied} s mapping`);
  } finally {
    sh('ip', ['netns', 'del', ns]);
  }
});
