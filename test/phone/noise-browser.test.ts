// Golden cross-test, browser build ↔ Node build (issue 18): the platform-neutral Noise IK
// (secure/noise-ik.ts + the shared framing), bundled by esbuild as the page bundles it, runs inside
// Chromium against noise-handshake in Node: message 1 is byte-identical for the same keys, the
// Node responder accepts it, the browser accepts the Node responder's message 2, and transport
// frames open on the other side in both directions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import Noise, { type KeyPair } from 'noise-handshake';
import Cipher from 'noise-handshake/cipher.js';
import { PROLOGUE } from '../../src/secure/noise-frames.js';
import { x25519KeyPair } from '../../src/secure/noise-ik.js';
import { launchChromium } from '../support/browser.js';

const SRC = fileURLToPath(new URL('../../../src/secure/noise-ik.ts', import.meta.url));
/** What the test bundle puts on the page's globalThis (typed for the evaluate callbacks). */
interface PageGlobals {
  porthole: {
    x25519KeyPair(sk: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
    nobleIkInitiator(s: unknown, rs: Uint8Array, prologue: Uint8Array, e: unknown): Initiator;
    PROLOGUE: Uint8Array;
  };
  hs: Initiator;
}
interface Initiator {
  writeMessage1(p: Uint8Array): Uint8Array;
  readMessage2(m: Uint8Array): {
    send: { seal(n: number, ad: Uint8Array, pt: Uint8Array): Uint8Array };
    recv: { open(n: number, ad: Uint8Array, ct: Uint8Array): Uint8Array };
  };
}

const fixed = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const kp = (k: { publicKey: Uint8Array; secretKey: Uint8Array }): KeyPair => ({
  publicKey: Buffer.from(k.publicKey),
  secretKey: Buffer.from(k.secretKey),
});

test('Noise IK in Chromium ⇄ noise-handshake in Node: same bytes, both directions', async (t) => {
  const bundle = await build({
    stdin: {
      contents: `import * as ik from ${JSON.stringify(SRC)};
        import { PROLOGUE } from ${JSON.stringify(SRC.replace('noise-ik.ts', 'noise-frames.ts'))};
        globalThis.porthole = { ...ik, PROLOGUE };`,
      resolveDir: '.',
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
  });
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.addScriptTag({ content: bundle.outputFiles[0]?.text ?? '' });

  const client = x25519KeyPair(fixed(1));
  const home = x25519KeyPair(fixed(2));
  const ce = x25519KeyPair(fixed(3));
  const payload = Buffer.from('golden payload');

  // Node's reference message 1 for the same keys (and ephemeral).
  const ref = new Noise('IK', true, kp(client));
  ref.initialise(Buffer.from(PROLOGUE), Buffer.from(home.publicKey));
  (ref as unknown as { e: KeyPair }).e = kp(ce);
  const refMsg1 = hex(ref.send(payload));

  // In the browser: message 1, kept in the page for message 2.
  const msg1 = await page.evaluate(
    ([c, h, e, p]) => {
      const g = globalThis as unknown as PageGlobals;
      const ik = g.porthole;
      const from = (s: string) =>
        Uint8Array.from((s.match(/../g) ?? []).map((x) => parseInt(x, 16)));
      const to = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
      g.hs = ik.nobleIkInitiator(
        ik.x25519KeyPair(from(c)),
        ik.x25519KeyPair(from(h)).publicKey,
        ik.PROLOGUE,
        ik.x25519KeyPair(from(e)),
      );
      return to(g.hs.writeMessage1(from(p)));
    },
    [hex(fixed(1)), hex(fixed(2)), hex(fixed(3)), hex(payload)] as const,
  );
  assert.equal(msg1, refMsg1, 'message 1 from Chromium is byte-identical to noise-handshake');

  // Node's responder (the home's code) reads the browser's message 1 and answers.
  const resp = new Noise('IK', false, kp(home));
  resp.initialise(Buffer.from(PROLOGUE));
  assert.equal(Buffer.from(resp.recv(Buffer.from(msg1, 'hex'))).toString(), 'golden payload');
  assert.equal(hex(resp.rs as Uint8Array), hex(client.publicKey));
  const msg2 = hex(resp.send());
  const homeTx = new Cipher(resp.tx as Uint8Array);
  const homeRx = new Cipher(resp.rx as Uint8Array);

  // The browser reads message 2, seals frame 5 for the home, and opens the home's frame 9.
  homeTx.setNonce(9);
  const ad = Buffer.from([3, 0, 0, 0, 9]);
  const fromHome = hex(homeTx.encrypt(Buffer.from('state: on'), ad));
  const out = await page.evaluate(
    ([m2, fh]) => {
      const g = globalThis as unknown as PageGlobals;
      const from = (s: string) =>
        Uint8Array.from((s.match(/../g) ?? []).map((x) => parseInt(x, 16)));
      const to = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
      const keys = g.hs.readMessage2(from(m2));
      const sealed = keys.send.seal(
        5,
        new Uint8Array([3, 0, 0, 0, 5]),
        new TextEncoder().encode('toggle'),
      );
      const opened = new TextDecoder().decode(
        keys.recv.open(9, new Uint8Array([3, 0, 0, 0, 9]), from(fh)),
      );
      return { sealed: to(sealed), opened };
    },
    [msg2, fromHome] as const,
  );
  assert.equal(out.opened, 'state: on');
  homeRx.setNonce(5);
  const pt = homeRx.decrypt(Buffer.from(out.sealed, 'hex'), Buffer.from([3, 0, 0, 0, 5]));
  assert.equal(Buffer.from(pt).toString(), 'toggle');
  console.log('# Chromium ⇄ Node: message 1 identical, message 2 accepted, frames open both ways');
});
