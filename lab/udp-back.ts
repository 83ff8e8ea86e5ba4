// Back onto UDP after a UDP block (issue 21, the soak's bug 3) on real kernel NAT: a
// port-restricted home and a symmetric client (routers firewalled). The client's router drops
// every UDP datagram when the agent (`client up`) starts, so it connects over the rendezvous' TCP
// relay; then the block is lifted and the agent must move its session back onto UDP by itself
// (the UDP relay, or a punched path after it) without a reconnect, and remember "udp" for this
// network again. Commands go through the agent's control socket before and after.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { agentSocket } from '../src/cli/client-up-cmd.js';
import { ControlClient } from '../src/client/agent/control-client.js';
import type { HomeStatus } from '../src/client/agent/control-wire.js';
import { inNs, nft } from './netns.js';
import { pairInLab } from './paired.js';
import { killLabProcesses, start } from './runner.js';
import { buildLab, parseSite } from './topology.js';

const UDP_BLOCK =
  'table inet udpblock { chain drop_udp { type filter hook forward priority -10; meta l4proto udp drop; }; }';

export interface UdpBackResult {
  /** The agent's remote while UDP was blocked (e.g. "relay tcp 198.51.100.1:7400"). */
  blockedRemote: string;
  /** ms from lifting the block to the agent's session on UDP, and where it went. */
  backMs: number;
  backRemote: string;
  backPath: string;
  /** The commands' states (one while blocked, one after). */
  states: string[];
  reconnects: number;
  /** The transport remembered for this network at the end. */
  cached: string[];
}

const onUdp = (s: HomeStatus | undefined): boolean =>
  s?.state === 'up' && !/^relay (tcp|ws)\b/.test(s.remote ?? '');

export async function runUdpBackLab(boundMs = 90_000): Promise<UdpBackResult> {
  const lab = buildLab({
    home: parseSite('port'),
    client: parseSite('symmetric'),
    firewall: true,
    lossPct: 0,
  });
  const router = lab.ns.clientNats.at(-1) as string;
  let control: ControlClient | undefined;
  try {
    const p = await pairInLab(lab, 'udpback');
    nft(router, UDP_BLOCK);
    await start(lab.ns.client, ['client', 'up', '--state', p.phoneDir], 'control socket');
    control = await ControlClient.connect(agentSocket(p.phoneDir));
    const c = control;
    const status = async (): Promise<HomeStatus | undefined> => (await c.status())[0];
    const until = async (ok: (s: HomeStatus | undefined) => boolean, ms: number, what: string) => {
      const end = Date.now() + ms;
      for (;;) {
        const s = await status();
        if (ok(s)) return s as HomeStatus;
        if (Date.now() > end) throw new Error(`${what} within ${ms} ms: ${JSON.stringify(s)}`);
        await sleep(100);
      }
    };
    const blocked = await until((s) => s?.state === 'up', 40_000, 'the agent not up while blocked');
    if (onUdp(blocked)) throw new Error(`up over UDP while UDP is blocked: ${blocked.remote}`);
    const states = [(await c.call(undefined, 'light.kitchen', { service: 'toggle' })).state];
    inNs(router, 'nft', ['delete', 'table', 'inet', 'udpblock']);
    const t0 = Date.now();
    const back = await until(onUdp, boundMs, 'not back on UDP');
    const backMs = Date.now() - t0;
    states.push((await c.call(undefined, 'light.kitchen', { service: 'toggle' })).state);
    const final = await status();
    let cached: string[] = [];
    try {
      const f = JSON.parse(readFileSync(join(p.phoneDir, 'transport.json'), 'utf8')) as {
        entries: { transport: string }[];
      };
      cached = f.entries.map((e) => e.transport);
    } catch {
      // no cache: reported as []
    }
    return {
      blockedRemote: blocked.remote ?? '',
      backMs,
      backRemote: back.remote ?? '',
      backPath: back.path ?? '',
      states,
      reconnects: final?.reconnects ?? -1,
      cached,
    };
  } finally {
    control?.close();
    killLabProcesses();
    lab.teardown();
  }
}
