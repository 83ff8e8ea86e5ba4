// Step 4 of one round, after Ready: knock from the first socket on the home's mapped port (and
// its LAN addresses) "several" times, then run the round kind's method — the patent round's
// knocks from M sockets, or the reversed round's spray of the home's ports.
import type { Paced } from '../net/pacer.js';
import type { Random } from '../net/types.js';
import { knockFromSockets } from '../punch/patent-knock.js';
import { sprayHomePorts } from '../punch/reverse-spray.js';
import type { ClientRoundIo } from '../punch/round-io.js';
import { formatAddr } from '../wire/addr.js';
import type { MessageOf } from '../wire/messages.js';
import type { ConnectConfig, StepName } from './connect-config.js';

/** The step event for this round kind: the client knocks (patent) or sprays (reversed). */
export function step4Event(ready: MessageOf<'ready'>, c: ConnectConfig): [StepName, string] {
  return ready.mode === 'reverse'
    ? [
        'spray',
        `home knocked from its sockets; spraying ${c.reverseSpray} ports of ${ready.home.ip}`,
      ]
    : [
        'knock',
        `home sprayed; knocking on ${formatAddr(ready.home)} from 1 + ${c.sockets} sockets`,
      ];
}

export function knockFromFirstSocket(
  io: ClientRoundIo,
  ready: MessageOf<'ready'>,
  c: ConnectConfig,
): void {
  io.knock(io.main, ready.home);
  // Behind the same public IP as the home: its LAN addresses may be the shortest way in.
  for (const local of ready.locals) io.knock(io.main, local);
  for (let i = 1; i < c.probes; i++)
    io.timer(i * c.probeSpacingMs, () => io.knock(io.main, ready.home));
}

export function startMethod(
  io: ClientRoundIo,
  rng: Random,
  ready: MessageOf<'ready'>,
  c: ConnectConfig,
): Paced {
  if (ready.mode !== 'reverse') return knockFromSockets(io, ready.home, c);
  return sprayHomePorts(io, rng, ready.home, {
    ports: c.reverseSpray,
    portRange: c.portRange,
    batch: c.socketBatch * 2,
    paceMs: c.socketPaceMs,
  });
}
