// Two small helpers for the soak (lab/soak.ts), run inside a lab namespace:
//   node dist/lab/soak-echo.js serve PORT         a TCP echo server on 127.0.0.1:PORT (the home's
//                                                 service behind `home serve`)
//   node dist/lab/soak-echo.js probe PORT MS      every MS ms: one TCP connection to 127.0.0.1:PORT
//                                                 (the client's `client forward`), 4 KiB out, the
//                                                 same 4 KiB back; one JSON line per try on stdout
import { randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';

const [mode, portText, msText] = process.argv.slice(2);
const port = Number(portText);

if (mode === 'serve') {
  const server = createServer((s) => {
    s.on('error', () => s.destroy());
    s.pipe(s);
  });
  server.listen(port, '127.0.0.1', () => process.stdout.write(`echo listening ${port}\n`));
} else if (mode === 'probe') {
  const every = Number(msText ?? 5000);
  const once = (): Promise<{ ok: boolean; ms: number; error?: string }> =>
    new Promise((resolve) => {
      const t0 = Date.now();
      const out = randomBytes(4096);
      let back = Buffer.alloc(0);
      const s = createConnection({ host: '127.0.0.1', port });
      let finished = false;
      const done = (ok: boolean, error?: string): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        s.destroy();
        resolve({ ok, ms: Date.now() - t0, ...(error ? { error } : {}) });
      };
      const timer = setTimeout(() => done(false, 'no echo within 10 s'), 10_000);
      s.on('connect', () => s.write(out));
      s.on('data', (b: Buffer) => {
        back = Buffer.concat([back, b]);
        if (back.length >= out.length)
          done(back.equals(out), back.equals(out) ? undefined : 'bytes differ');
      });
      s.on('error', (e) => done(false, e.message));
      s.on('close', () => done(false, `closed after ${back.length} bytes`));
    });
  const loop = async (): Promise<void> => {
    for (;;) {
      const at = Date.now();
      const r = await once();
      process.stdout.write(JSON.stringify({ at, ...r }) + '\n');
      const wait = at + every - Date.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    }
  };
  void loop();
} else {
  process.stderr.write('usage: soak-echo serve PORT | probe PORT MS\n');
  process.exit(2);
}
