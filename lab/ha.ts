// Home Assistant helpers shared by the HA tests (test/support/home-assistant.ts) and the soak
// (lab/soak.ts, where HA runs inside the home's lab namespace and these run there as
//   node dist/lab/ha.js wait PORT MS              exits 0 once HA answers HTTP on 127.0.0.1:PORT
//   node dist/lab/ha.js onboard PORT DIR FILE     onboards it, writes the long-lived token to FILE
// ): one WebSocket command after auth, and onboarding without a person.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

/** One WebSocket command after auth; resolves with its result. */
export function haWsCommand(
  port: number,
  accessToken: string,
  msg: Record<string, unknown>,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/websocket`);
    const t = setTimeout(() => (ws.terminate(), reject(new Error('HA websocket timeout'))), 15_000);
    ws.on('error', (e) => (clearTimeout(t), reject(e)));
    ws.on('message', (d) => {
      const m = JSON.parse((d as Buffer).toString('utf8')) as Record<string, unknown>;
      if (m.type === 'auth_required')
        ws.send(JSON.stringify({ type: 'auth', access_token: accessToken }));
      else if (m.type === 'auth_ok') ws.send(JSON.stringify({ id: 1, ...msg }));
      else if (m.type === 'auth_invalid') reject(new Error('auth_invalid'));
      else if (m.type === 'result') {
        clearTimeout(t);
        ws.close();
        if (m.success) resolve(m.result);
        else reject(new Error(JSON.stringify(m.error)));
      }
    });
  });
}

/** Onboards a fresh HA without a person; the long-lived token, once HA saved it. */
export async function onboardHa(http: string, port: number, dir: string): Promise<string> {
  const clientId = `${http}/`;
  const u = await fetch(`${http}/api/onboarding/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: clientId,
      name: 'Porthole Test',
      username: 'porthole',
      password: 'porthole-test-password',
      language: 'en',
    }),
  });
  if (!u.ok) throw new Error(`onboarding/users: HTTP ${u.status} ${await u.text()}`);
  const { auth_code } = (await u.json()) as { auth_code: string };
  const t = await fetch(`${http}/auth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: auth_code,
      client_id: clientId,
    }),
  });
  if (!t.ok) throw new Error(`auth/token: HTTP ${t.status} ${await t.text()}`);
  const { access_token } = (await t.json()) as { access_token: string };
  const llat = (await haWsCommand(port, access_token, {
    type: 'auth/long_lived_access_token',
    client_name: `porthole-test-${process.pid}`,
    lifespan: 30,
  })) as string;
  // HA writes its auth store a moment later (a deferred save): wait until the new token's
  // refresh token is on disk, so a restart keeps it.
  const iss = (
    JSON.parse(Buffer.from(llat.split('.')[1] as string, 'base64url').toString()) as {
      iss: string;
    }
  ).iss;
  const auth = join(dir, '.storage', 'auth');
  for (let i = 0; i < 200; i++) {
    if (existsSync(auth) && readFileSync(auth, 'utf8').includes(iss)) return llat;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('HA did not save the long-lived token within 20 s');
}

/** Resolves once HA answers HTTP (any status below 500) on `http`, or throws after `ms`. */
export async function waitHaHttp(http: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(`${http}/api/onboarding`, { signal: AbortSignal.timeout(1000) });
      if (r.status < 500) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Home Assistant did not answer on ${http} within ${ms} ms`);
}

async function main(): Promise<void> {
  const [mode, portText, a, b] = process.argv.slice(2);
  const port = Number(portText);
  const http = `http://127.0.0.1:${port}`;
  if (mode === 'wait') await waitHaHttp(http, Number(a ?? 120_000));
  else if (mode === 'onboard' && a && b) {
    await waitHaHttp(http, 300_000);
    writeFileSync(b, (await onboardHa(http, port, a)) + '\n', { mode: 0o600 });
  } else throw new Error('usage: ha.js wait PORT [MS] | onboard PORT DIR TOKENFILE');
  process.stdout.write(`ha ${mode} ok\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  main().catch((e: Error) => {
    process.stderr.write(`ha.js: ${e.message}\n`);
    process.exit(1);
  });
