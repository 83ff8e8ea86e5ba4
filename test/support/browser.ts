// Debian's chromium driven by playwright-core (never a downloaded browser).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** A fresh profile each time (playwright passes it as --user-data-dir). */
export async function launchChromium(
  viewport = { width: 390, height: 844 },
): Promise<BrowserContext> {
  const executablePath = CHROMIUM.find((p) => existsSync(p));
  if (!executablePath)
    throw new Error(
      'chromium is not installed (apt-get install chromium); the web app test needs it',
    );
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'porthole-chromium-')), {
    executablePath,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
