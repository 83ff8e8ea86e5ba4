// The relay's TCP and WebSocket fronts beside the rendezvous' UDP socket (issue 10): clients
// whose UDP is blocked reach the same relay core over a stream. Off unless a port is given.
import type { Logger } from '../net/types.js';
import type { RelayCore } from '../relay/server.js';
import { die } from './lifecycle.js';

export interface RelayFrontOptions {
  relayTcp?: number;
  relayWs?: number;
}

/** Starts the fronts asked for; exits (die) when a port cannot be bound. */
export async function startRelayFronts(
  core: RelayCore | undefined,
  o: RelayFrontOptions,
  host: string,
  log: Logger,
): Promise<{ close(): Promise<void> }> {
  const closers: (() => Promise<void>)[] = [];
  if ((o.relayTcp || o.relayWs) && !core)
    die('--relay-tcp/--relay-ws need the relay (drop --no-relay)', 2);
  if (!core) return { close: async () => {} };
  const fail = (what: string) => (e: Error) =>
    die(`cannot listen for the relay on ${what}: ${e.message}`);
  if (o.relayTcp) {
    const { startTcpRelay } = await import('../relay/tcp-server.js');
    const tcp = await startTcpRelay(core, { host, port: o.relayTcp }).catch(
      fail(`tcp ${o.relayTcp}`),
    );
    closers.push(() => tcp.close());
    log.info({ port: tcp.port }, 'relay listening on tcp');
  }
  if (o.relayWs) {
    const { startWsRelay } = await import('../relay/ws-server.js'); // `ws` only when asked for
    const ws = await startWsRelay(core, { host, port: o.relayWs }).catch(fail(`ws ${o.relayWs}`));
    closers.push(() => ws.close());
    log.info({ port: ws.port, path: '/porthole' }, 'relay listening on websocket');
  }
  return { close: async () => void (await Promise.all(closers.map((c) => c()))) };
}
