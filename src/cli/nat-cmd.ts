// `porthole nat RENDEZVOUS`: what this host's NAT does, asked of any STUN server with RFC 5780
// support (the rendezvous, with its second port/IP), printed as a line or as JSON.
import type { Command } from 'commander';
import { natLabel } from '../discovery/nat-class.js';
import { silentLogger, type SocketAddr } from '../net/types.js';
import { formatAddr } from '../wire/addr.js';
import { addrArg } from './parse.js';

interface NatCliOptions {
  json?: boolean;
  depth: boolean;
  bind?: string;
}

export function registerNat(program: Command): void {
  program
    .command('nat')
    .description(
      "classify this host's NAT against a STUN server (RFC 5780: mapping, filtering, ports)",
    )
    .argument(
      '<server>',
      'the STUN server, IP:PORT (the rendezvous answers STUN on its port)',
      addrArg,
    )
    .option('--json', 'one JSON line')
    .option('--no-depth', 'skip the NAT depth search (the hole-opening TTL)')
    .option('--bind <IP>', 'local IP to send from')
    .action(async (server: SocketAddr, o: NatCliOptions) => {
      const [{ discoverNat }, { realEnv }] = await Promise.all([
        import('../discovery/discover.js'),
        import('../net/real-env.js'),
      ]);
      const d = await discoverNat(realEnv(silentLogger), server, {
        depth: o.depth,
        ...(o.bind !== undefined ? { bindIp: o.bind } : {}),
      });
      const c = d.classify;
      if (o.json) {
        const out = {
          nat: d.nat,
          label: natLabel(d.nat),
          mapped: c.mapped,
          other: c.other,
          notes: c.notes,
        };
        process.stdout.write(JSON.stringify(out) + '\n');
      } else {
        const seen = c.mapped ? `public address ${formatAddr(c.mapped)}` : 'no answer';
        const depth = d.depth && !d.depth.ok ? `; no depth: ${d.depth.reason}` : '';
        process.stdout.write(`${natLabel(d.nat)} (${seen})${depth}\n`);
        for (const n of c.notes) process.stdout.write(`  note: ${n}\n`);
      }
      process.exit(d.nat.mapping === 'unknown' ? 1 : 0);
    });
}
