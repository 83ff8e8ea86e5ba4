// IP literal checks without node:net, so the codec runs in the browser too (issue 18). Same
// answers as node:net's isIPv4/isIPv6/isIP (test/wire/neutral.test.ts compares them).
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)';
const V4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const GROUP = /^[0-9a-fA-F]{1,4}$/;

export function isIPv4(s: string): boolean {
  return V4.test(s);
}

export function isIPv6(s: string): boolean {
  const zone = s.indexOf('%');
  if (zone >= 0 && !/^%[0-9A-Za-z._~-]+$/.test(s.slice(zone))) return false;
  let text = zone >= 0 ? s.slice(0, zone) : s;
  let extra = 0;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.slice(lastColon + 1).includes('.')) {
    if (!isIPv4(text.slice(lastColon + 1))) return false;
    text = text.slice(0, lastColon + 1) + '0';
    extra = 1; // the dotted tail stands for two groups
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string): string[] | undefined => {
    if (h === '') return [];
    const g = h.split(':');
    return g.every((x) => GROUP.test(x)) ? g : undefined;
  };
  const head = groups(halves[0] as string);
  if (!head) return false;
  if (halves.length === 1) return head.length + extra === 8;
  const tail = groups(halves[1] as string);
  if (!tail) return false;
  return head.length + tail.length + extra <= 7;
}

export function isIP(s: string): 0 | 4 | 6 {
  return isIPv4(s) ? 4 : isIPv6(s) ? 6 : 0;
}
