// Debian's chromium driven by playwright-core (never a downloaded browser).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../lab/browser.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/**
 * A fresh profile each time (playwright passes it as --user-data-dir). `phone`: touch, a
 * phone's scale, and (for a test certificate) certificate errors ignored.
 */
export async function launchChromium(
  viewport = { width: 390, height: 844 },
  phone?: { ignoreHTTPSErrors?: boolean },
): Promise<BrowserContext> {
  const executablePath = CHROMIUM.find((p) => existsSync(p));
  if (!executablePath)
    throw new Error(
      'chromium is not installed (apt-get install chromium); the web app test needs it',
    );
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'porthole-chromium-')), {
    executablePath,
    viewport,
    ...(phone
      ? {
          hasTouch: true,
          isMobile: true,
          deviceScaleFactor: 2,
          ignoreHTTPSErrors: phone.ignoreHTTPSErrors ?? false,
        }
      : {}),
    args: [...(phone?.ignoreHTTPSErrors ? ['--ignore-certificate-errors'] : []), ...CHROMIUM_ARGS],
  });
}
