// Issue 18 item 6, an experiment (not app code): "many RTCPeerConnections" on the phone against a
// home that sprays, port-restricted home × symmetric phone, in the kernel-NAT lab. Two Chromiums,
// one in the home's namespace (a stand-in for the home's ICE agent) and one in the phone's; the
// rendezvous is their STUN server; Playwright carries offers/answers (no app, no Noise).
//  (a) plain ICE: one PC each side.
//  (b) M phone PCs, each paired 1:1 with a home PC; every home PC is also given K remote host
//      candidates at the phone's public IP with random ports (the spray: its ICE agent sends a check
//      to each). A pair connects if a home PC's guess hits its phone PC's mapping.
// `node dist/lab/phone-many.js [M] [K] [TRIALS]` (root). Prints one JSON line per trial.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { phoneBrowserIn } from './phone.js';
import { killLabProcesses, start } from './runner.js';
import { buildLab } from './topology.js';

const M = Number(process.argv[2] ?? 64);
const K = Number(process.argv[3] ?? 64);
const TRIALS = Number(process.argv[4] ?? 1);
// `control`: instead of random guesses, each home PC is given its phone PC's true mapping (read
// from the phone router's conntrack) — shows a right guess does open the path.
const CONTROL = process.argv[5] === 'control';

// Runs in the page: makes n PCs (offerer or answerer), returns handles on window.
const SETUP = `(async ({ n, stun, offer, remotes }) => {
  const cert = await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' });
  const pcs = [];
  const out = [];
  for (let i = 0; i < n; i++) {
    const pc = new RTCPeerConnection({ iceServers: [{ urls: stun }], certificates: [cert] });
    pc.__open = false;
    if (offer) { const dc = pc.createDataChannel('x'); dc.onopen = () => (pc.__open = true); }
    else pc.ondatachannel = (e) => (e.channel.onopen = () => (pc.__open = true));
    pcs.push(pc);
  }
  await Promise.all(pcs.map(async (pc, i) => {
    if (offer) await pc.setLocalDescription(await pc.createOffer());
    else { await pc.setRemoteDescription({ type: 'offer', sdp: remotes[i] }); await pc.setLocalDescription(await pc.createAnswer()); }
    if (pc.iceGatheringState !== 'complete')
      await new Promise((r) => { const t = setTimeout(r, 5000); pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') { clearTimeout(t); r(); } }; });
    out[i] = pc.localDescription.sdp;
  }));
  window.__pcs = pcs;
  return out;
})`;

async function trial(m: number, k: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-many-'));
  const lab = buildLab({
    home: { router: 'port', cgnat: false },
    client: { router: 'symmetric', cgnat: false },
    firewall: true,
    lossPct: 0,
  });
  try {
    const rvPort = 7400;
    await start(
      lab.ns.rendezvous,
      ['rendezvous', '--listen', `${lab.rendezvousIp}:${rvPort}`, '--alt-ip', lab.rendezvousAltIp],
      'rendezvous listening',
    );
    const stun = `stun:${lab.rendezvousIp}:${rvPort}`;
    const hb = await phoneBrowserIn(lab.ns.home, dir);
    const pb = await phoneBrowserIn(lab.ns.client, dir);
    const hp = await hb.newPage();
    const pp = await pb.newPage();
    const run = async (n: number, spray: number): Promise<Record<string, unknown>> => {
      const t0 = Date.now();
      const offers = (await pp.evaluate<unknown>(
        `${SETUP}(${JSON.stringify({ n, stun, offer: true })})`,
      )) as string[];
      const gatherMs = Date.now() - t0;
      const udp = execFileSync('ip', ['netns', 'exec', lab.ns.client, 'ss', '-uanH'])
        .toString()
        .trim()
        .split('\n').length;
      const srflx = offers
        .map((s) => / (\d+\.\d+\.\d+\.\d+) (\d+) typ srflx/.exec(s))
        .filter(Boolean);
      const phonePub = srflx[0]?.[1];
      const answers = (await hp.evaluate<unknown>(
        `${SETUP}(${JSON.stringify({ n, stun, offer: false, remotes: offers })})`,
      )) as string[];
      await pp.evaluate(
        `(async (a) => { await Promise.all(window.__pcs.map((pc, i) => pc.setRemoteDescription({ type: 'answer', sdp: a[i] }))); })(${JSON.stringify(answers)})`,
      );
      let truth: number[] = [];
      if (CONTROL && spray > 0) {
        await new Promise((r) => setTimeout(r, 1500));
        const ct = execFileSync(
          'ip',
          ['netns', 'exec', lab.ns.clientNats[0] ?? '', 'conntrack', '-L', '-p', 'udp'],
          { stdio: ['ignore', 'pipe', 'ignore'] },
        ).toString();
        truth = [
          ...ct.matchAll(
            /src=(\S+) dst=(\S+) sport=\d+ dport=(\d+) .*?src=\S+ dst=\S+ sport=\d+ dport=(\d+)/g,
          ),
        ]
          .filter((x) => x[2] !== lab.rendezvousIp && x[2] !== lab.rendezvousAltIp)
          .map((x) => Number(x[4]));
      }
      if (spray > 0 && phonePub)
        await hp.evaluate(
          `(async ({ ip, k, truth }) => { for (const pc of window.__pcs) { for (let j = 0; j < k; j++) { const port = truth.length ? truth[j % truth.length] : 1024 + Math.floor(Math.random() * 64512); await pc.addIceCandidate({ candidate: 'candidate:9' + j + ' 1 udp 1 ' + ip + ' ' + port + ' typ host', sdpMid: '0' }).catch(() => {}); } } })(${JSON.stringify({ ip: phonePub, k: spray, truth })})`,
        );
      const waitMs = Math.max(15_000, spray * 60);
      const t1 = Date.now();
      let open = 0;
      while (Date.now() - t1 < waitMs) {
        open = (await pp.evaluate<unknown>(
          'window.__pcs.filter((p) => p.__open).length',
        )) as number;
        if (open > 0) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const cdp = await pb.newCDPSession(pp);
      await cdp.send('Performance.enable');
      const met = await cdp.send('Performance.getMetrics');
      const mv = (x: string): number => met.metrics.find((q) => q.name === x)?.value ?? 0;
      const res = {
        n,
        spray,
        truthPorts: truth.length,
        direct: open > 0,
        openPairs: open,
        toOpenMs: open > 0 ? Date.now() - t1 : null,
        gatherMs,
        phoneUdpSockets: udp,
        srflxPorts: srflx.slice(0, 5).map((x) => Number(x?.[2])),
        jsHeapMB: Math.round(mv('JSHeapUsedSize') / 1e5) / 10,
        taskS: Math.round(mv('TaskDuration') * 10) / 10,
      };
      await pp.evaluate('window.__pcs.forEach((p) => p.close())');
      await hp.evaluate('window.__pcs.forEach((p) => p.close())');
      return res;
    };
    const plain = await run(1, 0);
    const many = await run(m, k);
    await hb.close();
    await pb.close();
    return { plain, many };
  } catch (e) {
    return { error: String(e) };
  } finally {
    killLabProcesses();
    lab.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (let i = 0; i < TRIALS; i++)
  console.log(JSON.stringify({ trial: i + 1, M, K, ...(await trial(M, K)) }));
