// The home side of the port-mapping lab, run inside the home namespace by lab/portmap-home-ctl.ts:
// binds the home's UDP port, runs the PortMapper against the real router, and reports on stdout
// (JSON lines): status changes, datagrams received, and verification requests. The controller
// answers a verification by sending the token from the internet side to the mapped address;
// arriving here within 2 s is the proof. SIGTERM deletes the mapping and exits.
import { silentLogger, type SocketAddr } from '../src/net/types.js';
import { realEnv } from '../src/net/real-env.js';
import { whenBound } from '../src/net/node-udp.js';
import { formatAddr } from '../src/wire/addr.js';
import { createPortMapper, type PortmapProtocol } from '../src/portmap/index.js';

interface Args {
  port: number;
  observedIp?: string;
  protocols?: PortmapProtocol[];
  lifetimeS?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const out = (o: object): void => void process.stdout.write(JSON.stringify(o) + '\n');
const env = realEnv(silentLogger);
const ep = env.net.open({ port: args.port });
await whenBound(ep);
const waiting = new Map<string, () => void>();
ep.onDatagram((d, from) => {
  const data = Buffer.from(d).toString('utf8', 0, Math.min(d.length, 200));
  waiting.get(data)?.();
  out({ ev: 'recv', from: formatAddr(from), data });
});

let n = 0;
const verify = (external: SocketAddr): Promise<boolean> =>
  new Promise((resolve) => {
    const token = `verify-${process.pid}-${n++}`;
    const t = setTimeout(() => (waiting.delete(token), resolve(false)), 2000);
    waiting.set(token, () => (clearTimeout(t), waiting.delete(token), resolve(true)));
    out({ ev: 'verify', external: formatAddr(external), token });
  });

const t0 = performance.now();
const mapper = createPortMapper({
  env,
  mode: 'auto',
  internalPort: args.port,
  verify,
  observedIp: () => args.observedIp,
  protocols: args.protocols,
  lifetimeS: args.lifetimeS,
  upnpDiscoveryMs: 2500,
  onChange: (s) =>
    out({
      ev: 'status',
      ms: Math.round(performance.now() - t0),
      ...s,
      external: s.external && formatAddr(s.external),
    }),
});
mapper?.start();

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (mapper?.close() ?? Promise.resolve()).then(() => {
    out({ ev: 'closed' });
    ep.close();
    process.exit(0);
  });
});
// A lab helper must never outlive its run.
setTimeout(() => process.exit(2), 120_000).unref();
