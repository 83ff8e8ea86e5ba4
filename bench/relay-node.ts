// The relay under measurement, as its own process (so its CPU time is its own): UDP, TCP and
// WebSocket fronts on loopback; the parent sends {home} and gets {ports}; on {stats} it answers
// with the relay's counters and this process's CPU time.
import { whenBound } from '../src/net/node-udp.js';
import { realEnv } from '../src/net/real-env.js';
import { silentLogger, type SocketAddr } from '../src/net/types.js';
import { startTcpRelay } from '../src/relay/tcp-server.js';
import { UdpRelay } from '../src/relay/udp-relay.js';
import { startWsRelay } from '../src/relay/ws-server.js';

let home: SocketAddr | undefined;
const udp = new UdpRelay(realEnv(silentLogger), {
  listen: { ip: '127.0.0.1' },
  lookupHome: () => home,
  maxSessionBytes: Number.MAX_SAFE_INTEGER,
  // Capacity, not policy: the per-home budget (seam §8) still runs on every frame, it just never
  // empties (its default, 1 MiB/s per home, would measure the budget instead of the relay).
  homeBytesPerSec: Number.MAX_SAFE_INTEGER,
  homeBurstBytes: Number.MAX_SAFE_INTEGER,
});
const core = udp.start();
const relay = await whenBound(udp.endpoint!);
const tcp = await startTcpRelay(core, { host: '127.0.0.1', port: 0 });
const ws = await startWsRelay(core, { host: '127.0.0.1', port: 0 });

process.on('message', (m: { home?: SocketAddr; stats?: boolean; stop?: boolean }) => {
  if (m.home) {
    home = m.home;
    process.send?.({ ports: { udp: relay.port, tcp: tcp.port, ws: ws.port } });
  } else if (m.stats) {
    const cpu = process.cpuUsage();
    process.send?.({ stats: core.stats, cpuMs: (cpu.user + cpu.system) / 1000 });
  } else if (m.stop) {
    void tcp.close();
    void ws.close();
    udp.close();
    process.disconnect();
  }
});
process.send?.({ up: true });
