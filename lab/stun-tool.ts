// The discovery code as small processes the lab can start inside a namespace:
//   node dist/lab/stun-tool.js serve IP[,IP2] PORT,PORT2 SECONDS   a STUN server (exits after SECONDS)
//   node dist/lab/stun-tool.js classify IP:PORT                    one discovery, as a JSON line
import { discoverNat } from '../src/discovery/discover.js';
import { StunServer } from '../src/discovery/stun-server.js';
import { realEnv } from '../src/net/real-env.js';
import { silentLogger } from '../src/net/types.js';
import { parseAddr } from '../src/wire/addr.js';

const [cmd, ...args] = process.argv.slice(2);
const env = realEnv(silentLogger);

if (cmd === 'serve') {
  const ips = (args[0] ?? '').split(',');
  const ports = (args[1] ?? '').split(',').map(Number);
  const seconds = Math.min(Number(args[2] ?? 30), 300);
  const server = new StunServer(env, {
    ips: ips.length > 1 ? [ips[0]!, ips[1]!] : [ips[0]!],
    ports: ports.length > 1 ? [ports[0]!, ports[1]!] : [ports[0]!],
  }).open();
  const deadline = Date.now() + 2000;
  while (!server.bound && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  if (!server.bound) throw new Error('stun-tool: the endpoints did not bind within 2 s');
  process.stdout.write('ready\n');
  const stop = (): void => {
    server.close();
    process.exit(0);
  };
  setTimeout(stop, seconds * 1000);
  process.on('SIGTERM', stop);
  process.stdin.on('close', stop); // the controller went away
  process.stdin.resume();
} else if (cmd === 'classify') {
  const d = await discoverNat(env, parseAddr(args[0] ?? ''));
  process.stdout.write(
    JSON.stringify({
      nat: d.nat,
      elapsedMs: Math.round(d.classify.elapsedMs),
      sent: d.classify.sent + (d.depth?.sent ?? 0),
      mapped: d.classify.mapped,
      notes: d.classify.notes,
      depth: d.depth,
    }) + '\n',
  );
} else {
  process.stderr.write('usage: stun-tool serve IPS PORTS SECONDS | classify IP:PORT\n');
  process.exit(2);
}
