// A real packet capture (Debian's tshark) of a loopback session: the encrypted channel's payload
// never appears on the wire, while the same capture does see a plain-channel control payload.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectAsync } from '../../src/client/connector.js';
import { LOOPBACK, startLocalStack } from '../support/local-stack.js';
import { serveApp } from '../../src/home/secure-peers.js';
import { startTrustStack } from '../support/trust-stack.js';

const SECRET = 'PORTHOLE-SECRET-DOOR-CODE-4711';
const CONTROL = 'PORTHOLE-PLAIN-CONTROL-0815';

function roundTrip(
  ch: { send(d: Uint8Array): void; onMessage(cb: (d: Uint8Array) => void): void },
  text: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no echo')), 3000);
    ch.onMessage(() => {
      clearTimeout(timer);
      resolve();
    });
    ch.send(Buffer.from(text));
  });
}

test(
  'a capture of a paired session holds none of the payload in clear',
  { timeout: 60_000 },
  async (t) => {
    const pcap = join(mkdtempSync(join(tmpdir(), 'porthole-cap-')), 'session.pcap');
    const tshark = spawn('tshark', ['-i', 'lo', '-f', 'udp and net 127.0.0.0/8', '-w', pcap], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    t.after(() => tshark.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error('tshark did not start capturing (is it installed? apt-get install tshark)'),
          ),
        20_000,
      );
      tshark.on('error', (e) =>
        reject(new Error(`cannot run tshark: ${e.message} (apt-get install tshark)`)),
      );
      tshark.stderr.on('data', (b: Buffer) => {
        if (b.toString().includes('Capturing on')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });

    const trust = await startTrustStack();
    t.after(() => trust.close());
    const phone = trust.newClient();
    await trust.pair(phone);
    const secure = await trust.secure(phone);
    await roundTrip(secure, SECRET);
    secure.close();

    // Control: an open-mode home on the same capture, plain channel.
    const open = await startLocalStack(trust.env, 'open-home');
    t.after(() => open.close());
    serveApp(open.home, undefined, (ch) => ch.onMessage((d) => ch.send(d)));
    const r = await connectAsync(trust.env, {
      home: 'open-home',
      rendezvous: open.rvAddr,
      bindIp: LOOPBACK.client,
      sockets: 5,
    });
    assert.ok(r.ok, r.ok ? '' : r.error);
    await roundTrip(r.connection, CONTROL);
    r.connection.close();

    await new Promise((res) => setTimeout(res, 500)); // let the capture flush
    tshark.kill('SIGINT');
    await new Promise((res) => tshark.once('exit', res));
    const bytes = readFileSync(pcap);
    assert.ok(
      bytes.includes(CONTROL),
      'the capture must see the plain control payload (else it proves nothing)',
    );
    assert.ok(!bytes.includes(SECRET), 'the encrypted payload appeared in clear on the wire');
  },
);
