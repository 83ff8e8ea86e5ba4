// Loopback connect times for both paths over real sockets: `npm run bench:loopback [RUNS]`.
// Rendezvous, home and client each on their own 127.0.0.x address, N = M = 500 (patent defaults).
import { countArg } from './cli-args.js';
import { connectAsync } from '../src/client/connector.js';
import { LOOPBACK, startLocalStack } from '../test/support/local-stack.js';
import { realEnv } from '../src/net/real-env.js';
import { silentLogger } from '../src/net/types.js';
import { percentile } from '../src/sim/stats.js';

const runs = countArg(
  0,
  25,
  'usage: npm run bench:loopback [-- RUNS]   (default 25: loopback connects per path)',
);
const env = realEnv(silentLogger);
const stack = await startLocalStack(env, 'bench-home');

for (const path of ['direct', 'punched'] as const) {
  const ms: number[] = [];
  let failures = 0;
  for (let i = 0; i < runs; i++) {
    const r = await connectAsync(env, {
      home: 'bench-home',
      rendezvous: stack.rvAddr,
      bindIp: LOOPBACK.client,
      ...(path === 'direct' ? { direct: stack.homeAddr } : { forceAssist: true }),
    });
    if (r.ok && r.report.path === path) ms.push(r.report.ms);
    else failures++;
    if (r.ok) r.connection.close();
    await new Promise((res) => setTimeout(res, 20));
  }
  console.log(
    `${path.padEnd(8)} runs=${runs} ok=${ms.length} failed=${failures} ` +
      `p50=${percentile(ms, 50).toFixed(1)} ms p95=${percentile(ms, 95).toFixed(1)} ms ` +
      `min=${percentile(ms, 0).toFixed(1)} ms`,
  );
}
stack.close();
