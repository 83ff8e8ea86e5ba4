// Starts Debian's mosquitto on 127.0.0.1 and a free port for one test, and stops it after.
// Fails loudly when mosquitto is missing (npm test installs it as root).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARIES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1', () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}

export interface Broker {
  url: string;
  stop(): void;
}

export async function startMosquitto(): Promise<Broker> {
  const bin = BINARIES.find((b) => existsSync(b));
  if (!bin)
    throw new Error(
      'mosquitto is not installed (apt-get install mosquitto); the MQTT tests need a real broker',
    );
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'porthole-mqtt-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const proc: ChildProcess = spawn(bin, ['-c', conf], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await accepting(port))
      return { url: `mqtt://127.0.0.1:${port}`, stop: () => proc.kill('SIGTERM') };
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill('SIGKILL');
  throw new Error(`mosquitto did not start listening on 127.0.0.1:${port} within 5 s`);
}
