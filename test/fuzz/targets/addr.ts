// Socket addresses typed by people or read from files (src/wire/addr.ts parseAddr): an address
// or an AddressError; an accepted address formats and parses back to itself, and (unzoned) its
// wire encoding reads back to the same address in canonical spelling, stable from then on.
import { Reader, Writer } from '../../../src/wire/codec.js';
import { AddressError, formatAddr, parseAddr } from '../../../src/wire/addr.js';
import { decodes, sameValue, type FuzzTarget } from '../target.js';
import type { SocketAddr } from '../../../src/net/types.js';

const wire = (a: SocketAddr): SocketAddr => new Reader(new Writer().addr(a).finish()).addr();

export const target: FuzzTarget = {
  name: 'addr',
  about: 'src/wire/addr.ts parseAddr/formatAddr, codec.ts Writer.addr/Reader.addr',
  sources: ['src/wire/addr.ts'],
  maxLen: 128,
  seeds: () =>
    ['203.0.113.7:7000', '[2001:db8::1]:443', '[::ffff:192.0.2.1]:1', '[fe80::1%eth0]:9'].map((s) =>
      Buffer.from(s),
    ),
  fuzz(data) {
    const a = decodes(
      () => parseAddr(data.toString('utf8'), { allowPortZero: true }),
      AddressError,
    );
    if (!a) return;
    sameValue(parseAddr(formatAddr(a), { allowPortZero: true }), a, 'formatAddr');
    if (a.ip.includes('%')) return; // a zone never goes on the wire (Writer refuses it)
    const once = decodes(() => wire(a));
    if (once) sameValue(wire(once), once, 'address on the wire');
  },
};
