// The phone's direct path (issue 18 item 4), with real processes and Debian's Chromium on loopback:
// the page pairs over the relay, then (signalling inside the Noise channel) opens a WebRTC data
// channel to the home's node-datachannel answerer and moves the live session onto it —
// data-path="direct", the relay's byte counter stops, toggles and pushes still work. Its data
// channel killed: relayed again, still working. Direct again after a reload (the relayed→direct
// time is printed, PORTHOLE_DIRECT_RUNS reloads, default 3); then the rendezvous is killed under
// the direct session and nothing happens. A tshark capture of everything the rendezvous sent or
// received (its WebSocket front, its UDP relay leg to the home, its STUN) holds no device name,
// no SDP, no ICE ufrag or password and no DTLS fingerprint.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, jsonLine, run } from '../support/cli.js';
import { launchChromium } from '../support/browser.js';

const PORT = 20_000 + ((process.pid + 7000) % 10_000);
const RV = `127.0.0.2:${PORT}`;
const WEB = `127.0.0.2:${PORT + 2}`;
const METRICS = `127.0.0.2:${PORT + 5}`;
const RUNS = Number(process.env.PORTHOLE_DIRECT_RUNS ?? 3);

const procs: ChildProcess[] = [];
after(() => procs.forEach((p) => p.kill('SIGKILL')));

function start(args: string[], ready: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, [BIN, '--log-level', 'info', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs.push(p);
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]}: no "${ready}" in 15 s`)), 15_000);
    p.stderr.on('data', (b: Buffer) => {
      err = (err + b.toString()).slice(-4000);
      if (err.includes(ready)) {
        clearTimeout(timer);
        resolve(p);
      }
    });
    p.on('exit', (code) => reject(new Error(`${args[0]} exited ${code}: ${err.slice(-600)}`)));
  });
}

function relayedBytes(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(`http://${METRICS}/metrics`, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => {
        let n = 0;
        for (const m of body.matchAll(/^porthole_relayed_bytes_total\{[^}]*\} (\d+)/gm))
          n += Number(m[1]);
        resolve(n);
      });
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('metrics timed out')));
  });
}

function startCapture(pcap: string): Promise<ChildProcess> {
  // The rendezvous' own sockets only: its UDP port (relay leg to the home, STUN) and its web front.
  const filter = `host 127.0.0.2 and (port ${PORT} or port ${PORT + 2})`;
  const tshark = spawn('tshark', ['-i', 'lo', '-f', filter, '-w', pcap], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs.push(tshark);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('tshark did not start capturing')), 20_000);
    tshark.on('error', (e) => reject(new Error(`cannot run tshark: ${e.message}`)));
    tshark.stderr.on('data', (b: Buffer) => {
      if (b.toString().includes('Capturing on')) {
        clearTimeout(timer);
        resolve(tshark);
      }
    });
  });
}

const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

test(
  'a phone goes direct over WebRTC, falls back to the relay, and outlives the relay',
  { timeout: 240_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'porthole-direct-'));
    const pcap = join(dir, 'rv.pcap');
    const tshark = await startCapture(pcap);

    const home = join(dir, 'home');
    const init = run(['home', 'init', '--state', home, '--json']);
    assert.equal(init.status, 0, init.stderr);
    const homeId = String(jsonLine(init.stdout).homeId);
    const rv = await start(
      ['rendezvous', '--listen', RV, '--web', WEB, '--metrics', METRICS],
      'phone app',
    );
    await start(
      ['home', '--state', home, '--rendezvous', RV, '--listen', `127.0.0.3:${PORT + 3}`],
      'registered with rendezvous',
    );
    const cli = join(dir, 'cli');
    assert.equal(run(['client', 'init', '--state', cli]).status, 0);
    const cliCode = String(jsonLine(run(['home', 'pair', '--state', home, '--json']).stdout).code);
    assert.equal(run(['client', 'pair', cliCode, '--state', cli, '--bind', '127.0.0.4']).status, 0);
    const pairing = jsonLine(run(['home', 'pair', '--state', home, '--json']).stdout);

    const browser = await launchChromium({ width: 390, height: 844 }, {});
    t.after(() => browser.close());
    const page = browser.pages()[0] ?? (await browser.newPage());
    // Test-side only: keep the page's peer connections and data channels reachable.
    await page.addInitScript(() => {
      const w = window as unknown as { __pcs: RTCPeerConnection[]; __dcs: RTCDataChannel[] };
      w.__pcs = [];
      w.__dcs = [];
      const Orig = window.RTCPeerConnection;
      class Kept extends Orig {
        constructor(c?: RTCConfiguration) {
          super(c);
          w.__pcs.push(this);
        }
        override createDataChannel(label: string, o?: RTCDataChannelInit): RTCDataChannel {
          const dc = super.createDataChannel(label, o);
          w.__dcs.push(dc);
          return dc;
        }
      }
      window.RTCPeerConnection = Kept;
    });
    const timings: number[] = [];
    page.on('console', (m) => {
      const ms = /porthole: direct after (\d+) ms/.exec(m.text())?.[1];
      if (ms) timings.push(Number(ms));
    });
    await page.goto(String(pairing.url));
    await page.getByTestId('phone-name').fill('Direct phone');
    await page.getByTestId('pair').tap();
    const kitchen = page.locator('[data-entity-id="light.kitchen"]');
    await kitchen.and(page.locator('[data-state="off"]')).waitFor({ timeout: 20_000 });
    await page.locator('[data-path="direct"]').waitFor({ timeout: 20_000 });
    const status = JSON.parse(run(['home', 'status', '--state', home, '--json']).stdout) as {
      webrtc?: string;
    };
    assert.equal(status.webrtc, 'ready');

    // Direct: commands and pushes work, and the relay carries none of it.
    const before = await relayedBytes();
    await page.getByTestId('toggle-light.kitchen').tap();
    await kitchen.and(page.locator('[data-state="on"]')).waitFor({ timeout: 10_000 });
    const base = ['--state', cli, '--home', homeId, '--bind', '127.0.0.4', '--json'];
    const set = run(['client', 'set', 'light.kitchen', 'off', ...base]);
    assert.equal(set.status, 0, set.stdout + set.stderr);
    await kitchen.and(page.locator('[data-state="off"]')).waitFor({ timeout: 10_000 });
    await page.getByTestId('toggle-light.kitchen').tap();
    await kitchen.and(page.locator('[data-state="on"]')).waitFor({ timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await relayedBytes(), before, "the relay's byte counter grew while direct");

    // The data channel dies: relayed again, everything still works.
    const sdps = await page.evaluate(() => {
      const w = window as unknown as { __pcs: RTCPeerConnection[]; __dcs: RTCDataChannel[] };
      w.__dcs.forEach((d) => d.close());
      return w.__pcs.flatMap((pc) => [pc.localDescription?.sdp, pc.remoteDescription?.sdp]);
    });
    await page.locator('[data-path="relayed"]').waitFor({ timeout: 10_000 });
    await page.getByTestId('toggle-light.kitchen').tap();
    await kitchen.and(page.locator('[data-state="off"]')).waitFor({ timeout: 10_000 });
    assert.ok((await relayedBytes()) > before, 'relayed again: the relay carries it');

    // Warm reloads: direct again each time; relayed → direct time (from the secure channel).
    for (let i = 0; i < RUNS; i++) {
      await page.reload();
      await page.locator('[data-path="direct"]').waitFor({ timeout: 20_000 });
      sdps.push(
        ...(await page.evaluate(() =>
          (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.flatMap((pc) => [
            pc.localDescription?.sdp,
            pc.remoteDescription?.sdp,
          ]),
        )),
      );
    }
    console.log(
      `# relayed → direct (secure channel ready → home answered over the data channel), ` +
        `${timings.length} runs: p50 ${pct(timings, 50)} ms, p95 ${pct(timings, 95)} ms ` +
        `(all: ${timings.join(', ')})`,
    );

    // The rendezvous dies under a direct session: nothing happens.
    rv.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await page.locator('[data-path="direct"]').count(), 1);
    const state = await kitchen.getAttribute('data-state');
    const next = state === 'on' ? 'off' : 'on';
    await page.getByTestId('toggle-light.kitchen').tap();
    await kitchen.and(page.locator(`[data-state="${next}"]`)).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('[data-path="direct"]').count(), 1);

    // What the rendezvous saw: no device name, no SDP, no ICE credentials, no fingerprint.
    await new Promise((r) => setTimeout(r, 500));
    tshark.kill('SIGINT');
    await new Promise((r) => tshark.once('exit', r));
    // The payloads it carried: UDP datagrams (relay leg, STUN) and WebSocket messages (tshark
    // unmasks them) — not the app's static files, whose code naturally holds "a=ice-ufrag".
    const fields = execFileSync(
      'tshark',
      [
        '-r',
        pcap,
        '-Y',
        'websocket or udp',
        '-T',
        'fields',
        '-e',
        'udp.payload',
        '-e',
        'data.data',
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const seen = Buffer.from(fields.replace(/[^0-9a-f]/g, ''), 'hex');
    const text = seen.toString('latin1');
    assert.ok(text.includes(homeId), 'the capture holds the session (the home id in relayOpen)');
    const secrets = new Set<string>([
      'Kitchen',
      'light.kitchen',
      'Direct phone',
      'a=ice-',
      'webrtc-datachannel',
    ]);
    for (const sdp of sdps) {
      if (!sdp) continue;
      for (const k of ['ice-ufrag', 'ice-pwd']) {
        const v = new RegExp(`a=${k}:(\\S+)`).exec(sdp)?.[1];
        if (v) secrets.add(v);
      }
      const fp = /a=fingerprint:sha-256 (\S+)/.exec(sdp)?.[1];
      if (fp) {
        secrets.add(fp);
        const hex = fp.replace(/:/g, '');
        secrets.add(hex.toLowerCase());
        secrets.add(Buffer.from(hex, 'hex').toString('latin1'));
      }
    }
    assert.ok(secrets.size > 8, 'the SDPs were collected');
    for (const s of secrets)
      assert.ok(!text.includes(s), `the rendezvous saw ${JSON.stringify(s)} in clear`);
    console.log(
      `# capture at the rendezvous: ${seen.length} B of payload, none of ${secrets.size} secrets`,
    );
  },
);
