// Repeated port-mapping trials against miniupnpd in the lab, per protocol: success rate (mapped,
// a packet from the internet side reaches the home, the rule is gone after SIGTERM) and time to
// a verified mapping. Run as root: node dist/lab/portmap-trials.js [trials=20]
import { checkLabPrerequisites } from './netns.js';
import { buildPortmapLab, killRouters, type RouterService } from './portmap-lab.js';
import { killPortmapHomes, PortmapHome } from './portmap-home-ctl.js';
import { killUdpAgents, UdpAgent } from './udp-agent.js';

const trials = Math.min(200, Math.max(1, Number(process.argv[2] ?? 20)));
checkLabPrerequisites();
const lab = buildPortmapLab();
const inet = UdpAgent.start(lab.ns.inet);
let port = 43000;

const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;

async function trial(service: RouterService): Promise<{ ok: boolean; ms?: number; why?: string }> {
  const p = port++;
  const home = PortmapHome.start(lab.ns.home, { port: p, observedIp: lab.publicIp }, inet);
  try {
    const s = await home.settled(15_000);
    const want = service === 'none' ? 'unavailable' : 'mapped';
    if (!s || s.ev !== 'status' || s.state !== want) {
      return {
        ok: false,
        why: s && s.ev === 'status' ? `${s.state} ${s.reason ?? ''}` : 'no state',
      };
    }
    if (service === 'none') return { ok: true, ms: s.ms };
    await inet.send('v', s.external ?? '', `t${p}`);
    if (!(await home.waitFor((e) => e.ev === 'recv' && e.data === `t${p}`, 2000))) {
      return { ok: false, why: 'not reachable' };
    }
    if (!(await home.stop())) return { ok: false, why: 'no clean close' };
    if (lab.ruleset().includes(`${lab.homeIp}:${p}`)) return { ok: false, why: 'rule left' };
    return { ok: true, ms: s.ms };
  } finally {
    await home.stop();
  }
}

try {
  await inet.open('v');
  for (const service of ['pcp', 'natpmp', 'upnp', 'none'] as const) {
    await lab.startRouter(service);
    const n = service === 'none' ? Math.min(trials, 3) : trials;
    const times: number[] = [];
    const fails: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await trial(service);
      if (r.ok && r.ms !== undefined) times.push(r.ms);
      else fails.push(r.why ?? '?');
    }
    const what = service === 'none' ? 'unavailable' : 'mapped+reached+deleted';
    console.log(
      `${service.padEnd(6)} ${what} ${times.length}/${n}  time to ${service === 'none' ? 'verdict' : 'verified mapping'} ` +
        `p50 ${pct(times, 0.5)} ms, p95 ${pct(times, 0.95)} ms, max ${Math.max(...times)} ms` +
        (fails.length ? `  failures: ${[...new Set(fails)].join(', ')}` : ''),
    );
    await lab.stopRouter();
  }
} finally {
  inet.close();
  killPortmapHomes();
  killUdpAgents();
  killRouters();
  lab.teardown();
}
