// Keeps other web pages away from the dashboard's API. A page on any site can make the browser
// send requests to 127.0.0.1, and a DNS-rebinding site can even read the answers; without these
// checks, a random web page could unlock the front door.
//  - Host must be an IP literal or "localhost" (a rebinding attack needs a DNS name);
//  - state-changing requests must be JSON (not a "simple" cross-site form/text post) and, when
//    the browser says where they come from, come from this same origin.
import type { MiddlewareHandler } from 'hono';
import { isIP } from 'node:net';

function hostName(hostHeader: string): string {
  const m = /^\[([^\]]+)\](:\d+)?$/.exec(hostHeader) ?? /^([^:]+)(:\d+)?$/.exec(hostHeader);
  return m?.[1] ?? '';
}

function isLocalHostHeader(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const name = hostName(hostHeader.toLowerCase());
  return name === 'localhost' || isIP(name) !== 0;
}

export const sameOriginGuard: MiddlewareHandler = async (c, next) => {
  const host = c.req.header('host');
  if (!isLocalHostHeader(host))
    return c.json({ error: 'open the dashboard by IP address or localhost' }, 403);
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
    if (!(c.req.header('content-type') ?? '').startsWith('application/json'))
      return c.json({ error: 'send JSON (content-type: application/json)' }, 415);
    const origin = c.req.header('origin');
    if (origin !== undefined) {
      let originHost = '';
      try {
        originHost = new URL(origin).host;
      } catch {
        // a malformed Origin counts as foreign
      }
      if (originHost !== host) return c.json({ error: 'cross-origin request refused' }, 403);
    }
  }
  await next();
};
