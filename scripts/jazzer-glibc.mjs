// Makes @jazzer.js/fuzzer's prebuilt linux-x64 addon load on glibc < 2.38 (Debian 12 here).
// The prebuild links three symbols newer than this libc/libstdc++: __isoc23_strtol and
// __isoc23_strtoul (GLIBC_2.38: C23 strtol, which also takes "0b" prefixes) and
// std::ios_base_library_init (GLIBCXX_3.4.32, a no-op anchor that pulls in iostream set-up, which
// older libstdc++ does itself). This rewrites the addon's dynamic tables in place: the two strtol
// references become the classic strtol/strtoul, the anchor becomes getpid (a no-op call), all
// three unversioned, and the two version requirements weak. Nothing is downloaded or compiled.
// Idempotent; only the ELF tables change (no code). Used by scripts/fuzz.mjs when the addon fails
// to load with exactly this error.
import { readFileSync, writeFileSync } from 'node:fs';

const RENAME = {
  __isoc23_strtol: 'strtol',
  __isoc23_strtoul: 'strtoul',
  _ZSt21ios_base_library_initv: 'getpid',
};
const WEAK = new Set(['GLIBC_2.38', 'GLIBCXX_3.4.32']);
const VER_FLG_WEAK = 2;

export function patchAddon(file) {
  const b = readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1)
    throw new Error(`${file} is not a 64-bit little-endian ELF file`);
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const shstrndx = b.readUInt16LE(0x3e);
  const section = (i) => {
    const o = shoff + i * shentsize;
    return {
      name: b.readUInt32LE(o),
      off: Number(b.readBigUInt64LE(o + 0x18)),
      size: Number(b.readBigUInt64LE(o + 0x20)),
    };
  };
  const cstr = (off) => b.toString('latin1', off, b.indexOf(0, off));
  const names = section(shstrndx);
  const sections = {};
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    sections[cstr(names.off + s.name)] = s;
  }
  const dynstr = sections['.dynstr'];
  const dynsym = sections['.dynsym'];
  const versym = sections['.gnu.version'];
  const verneed = sections['.gnu.version_r'];
  if (!dynstr || !dynsym || !versym || !verneed) throw new Error(`${file}: no version tables`);
  const changed = [];
  for (let i = 0; i < dynsym.size / 24; i++) {
    const nameOff = dynstr.off + b.readUInt32LE(dynsym.off + i * 24);
    const name = cstr(nameOff);
    if (!(name in RENAME)) continue;
    b.write(RENAME[name] + '\0', nameOff, 'latin1');
    b.writeUInt16LE(1, versym.off + 2 * i); // VER_NDX_GLOBAL: unversioned
    changed.push(`${name} → ${RENAME[name]}`);
  }
  for (let vn = verneed.off; ;) {
    const cnt = b.readUInt16LE(vn + 2);
    let aux = vn + b.readUInt32LE(vn + 8);
    for (let k = 0; k < cnt; k++) {
      const name = cstr(dynstr.off + b.readUInt32LE(aux + 8));
      const flags = b.readUInt16LE(aux + 4);
      if (WEAK.has(name) && !(flags & VER_FLG_WEAK)) {
        b.writeUInt16LE(flags | VER_FLG_WEAK, aux + 4);
        changed.push(`${name} weak`);
      }
      aux += b.readUInt32LE(aux + 12);
    }
    const next = b.readUInt32LE(vn + 12);
    if (!next) break;
    vn += next;
  }
  if (changed.length) writeFileSync(file, b);
  return changed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node scripts/jazzer-glibc.mjs ADDON.node');
  console.log(patchAddon(file).join('\n') || 'nothing to change');
}
