// Real kernel sockets on loopback: our STUN server on 127.0.0.1 and 127.0.0.2 (two ports each),
// probed by coturn's own clients (a STUN implementation nobody here wrote) and by our classifier.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { classifyNat } from '../../src/discovery/classify.js';
import { measureNatDepth } from '../../src/discovery/nat-depth.js';
import { natLabel } from '../../src/discovery/nat-class.js';
import { StunServer } from '../../src/discovery/stun-server.js';
import { realEnv } from '../../src/net/real-env.js';
import { BIN } from '../support/cli.js';
import { silentLogger } from '../../src/net/types.js';

const run = promisify(execFile);
const env = realEnv(silentLogger);

/** A port free on both loopback IPs right now (bound with port 0, then released). */
async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    const ok = await Promise.all(
      ['127.0.0.1', '127.0.0.2'].map(
        (ip) =>
          new Promise<boolean>((resolve) => {
            const s = dgram.createSocket('udp4');
            s.once('error', () => (s.close(), resolve(false)));
            s.bind(port, ip, () => (s.close(), resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return port;
  }
  throw new Error('no free port pair on loopback');
}

async function withServer<T>(
  twoIps: boolean,
  body: (p: number, q: number) => Promise<T>,
): Promise<T> {
  const [p, q] = [await freePort(), await freePort()];
  const server = new StunServer(env, {
    ips: twoIps ? ['127.0.0.1', '127.0.0.2'] : ['127.0.0.1'],
    ports: [p, q],
  }).open();
  for (let i = 0; i < 100 && !server.bound; i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(server.bound, 'stun server did not bind');
  try {
    return await body(p, q);
  } finally {
    server.close();
  }
}

const tool = async (bin: string, args: string[]): Promise<string> => {
  const { stdout, stderr } = await run(bin, args, { timeout: 15_000 });
  return stdout + stderr;
};

test('coturn turnutils_stunclient parses our answers (plain and RFC 5780)', async () => {
  await withServer(true, async (p, q) => {
    for (const args of [[], ['-f']]) {
      const out = await tool('turnutils_stunclient', [...args, '-p', String(p), '127.0.0.1']);
      assert.match(out, /UDP reflexive addr: 127\.0\.0\.1:\d+/, out);
      assert.match(out, new RegExp(`Other addr: : 127\\.0\\.0\\.2:${q}`), out);
      assert.match(out, new RegExp(`Response origin: : 127\\.0\\.0\\.1:${p}`), out);
      assert.doesNotMatch(out, /error|fail|timeout/i, out);
    }
  });
});

test('coturn turnutils_natdiscovery: no NAT on loopback → endpoint-independent mapping and filtering', async () => {
  await withServer(true, async (p) => {
    for (const pad of [[], ['-P']]) {
      const out = await tool('turnutils_natdiscovery', [
        '-m',
        '-f',
        ...pad,
        '-p',
        String(p),
        '127.0.0.1',
      ]);
      assert.match(out, /NAT with Endpoint Independent Mapping!/, out);
      assert.match(out, /NAT with Endpoint Independent Filtering!/, out);
      assert.match(out, /No ALG: Mapped == XOR-Mapped/, out);
      assert.doesNotMatch(out, /error|fail/i, out);
    }
  });
});

test('our classifier on loopback: independent / independent / preserving, within 1.5 s', async () => {
  await withServer(true, async (p) => {
    const r = await classifyNat(env, { ip: '127.0.0.1', port: p }, { bindIp: '127.0.0.1' });
    console.log(
      `loopback, two IPs: ${natLabel(r.nat)}; ${r.sent} pkts, ${r.elapsedMs.toFixed(0)} ms`,
    );
    assert.deepEqual(r.nat, {
      mapping: 'independent',
      filtering: 'independent',
      allocation: 'preserving',
      hairpin: true,
    });
    assert.equal(r.behindNat, false);
    assert.equal(r.altIp, true);
    assert.ok(r.elapsedMs < 1500, `${r.elapsedMs} ms`);
    const d = await measureNatDepth(env, {
      server: { ip: '127.0.0.1', port: p },
      other: r.other!,
      nat: r.nat,
    });
    assert.equal(d.ok, false, 'no filtering: no depth to measure');
  });
});

test('one IP, two ports: our classifier says "at most address-dependent" filtering; coturn gets 420', async () => {
  await withServer(false, async (p) => {
    const r = await classifyNat(env, { ip: '127.0.0.1', port: p }, { bindIp: '127.0.0.1' });
    console.log(`loopback, one IP: ${natLabel(r.nat)}; ${r.notes.join('; ')}`);
    assert.deepEqual(r.nat, {
      mapping: 'independent',
      filtering: 'address',
      allocation: 'preserving',
      hairpin: true,
    });
    assert.equal(r.altIp, false);
    const out = await tool('turnutils_natdiscovery', ['-f', '-p', String(p), '127.0.0.1']);
    assert.match(out, /error 420/, out);
  });
});

test('IPv6: our classifier against a one-IP server on ::1', async () => {
  const [port, alt] = [await freePort(), await freePort()];
  const server = new StunServer(env, { ips: ['::1'], ports: [port, alt] }).open();
  await new Promise((r) => setTimeout(r, 50));
  try {
    const r = await classifyNat(env, { ip: '::1', port }, { bindIp: '::1' });
    assert.deepEqual(r.nat, {
      mapping: 'independent',
      filtering: 'address',
      allocation: 'preserving',
      hairpin: true,
    });
    assert.equal(r.mapped?.ip, '::1');
    assert.equal(r.behindNat, false);
  } finally {
    server.close();
  }
});

test('bindIps: bound to 0.0.0.0, the server still names its advertised IP', async () => {
  const [port, alt] = [await freePort(), await freePort()];
  const server = new StunServer(env, {
    ips: ['127.0.0.1'],
    ports: [port, alt],
    bindIps: ['0.0.0.0'],
  }).open();
  for (let i = 0; i < 100 && !server.bound; i++) await new Promise((r) => setTimeout(r, 5));
  try {
    const r = await classifyNat(env, { ip: '127.0.0.1', port });
    assert.deepEqual(r.other, { ip: '127.0.0.1', port: alt });
  } finally {
    server.close();
  }
});

test('a server bound to 0.0.0.0 names a wildcard OTHER-ADDRESS; the classifier reads it as the server IP', async () => {
  const [port, alt] = [await freePort(), await freePort()];
  const server = new StunServer(env, { ips: ['0.0.0.0'], ports: [port, alt] }).open();
  await new Promise((r) => setTimeout(r, 50));
  try {
    const r = await classifyNat(env, { ip: '127.0.0.1', port });
    assert.deepEqual(r.other, { ip: '127.0.0.1', port: alt });
    assert.equal(r.nat.mapping, 'independent');
  } finally {
    server.close();
  }
});

test('porthole nat: the CLI prints the verdict, as a line and as JSON', async () => {
  await withServer(true, async (p) => {
    const args = [BIN, 'nat', `127.0.0.1:${p}`, '--bind', '127.0.0.1'];
    const line = await run(process.execPath, args);
    assert.match(line.stdout, /^full cone \(public address 127\.0\.0\.1:\d+\)/);
    const json = await run(process.execPath, [...args, '--json', '--no-depth']);
    const out = JSON.parse(json.stdout) as { nat: { mapping: string }; label: string };
    assert.equal(out.nat.mapping, 'independent');
    assert.equal(out.label, 'full cone');
  });
});
