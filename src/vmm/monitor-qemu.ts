// The QEMU monitor (HMP) commands QEMU users type into gdb's `monitor`: info registers, x/xp, info tlb, info mem,
// info cpus. Output follows QEMU 7.2 byte for byte where the state exists here (target/i386/cpu-dump.c
// x86_cpu_dump_state, monitor/misc.c memory_dump, target/i386/monitor.c tlb_info_* / mem_info_*, as printed by
// qemu-system-x86_64 7.2 on the same kernels).

import type { ArchState, X87Regs } from '../cpu/index.js';
import * as A from '../cpu/index.js';

/** The CPU state `info registers` prints. */
export interface QemuCpuView {
  state: ArchState;
  cpl: number;
  halted: boolean;
  /** An STI / MOV SS interrupt shadow is in effect (QEMU's II, HF_INHIBIT_IRQ). */
  interruptShadow: boolean;
  /** DR0-3, DR6, DR7 as the guest sees them. */
  dr: readonly bigint[];
  x87: X87Regs;
  xmm: readonly bigint[];
  mxcsr: number;
}

const h = (v: bigint | number, digits: number): string => BigInt.asUintN(64, BigInt(v)).toString(16).padStart(digits, '0');

// Packed SegmentState.attrs (src/cpu/api.ts): bits 0-3 type, 4 S, 5-6 DPL, 7 P, 8 AVL, 9 L, 10 D/B, 11 G.
const ATTR_S = 1 << 4;
const ATTR_P = 1 << 7;
const ATTR_L = 1 << 9;
const ATTR_DB = 1 << 10;
const ATTR_G = 1 << 11;
const TYPE_CODE = 8;
const TYPE_CONFORMING_OR_EXPAND_DOWN = 4;
const TYPE_READABLE_OR_WRITABLE = 2;
const TYPE_ACCESSED = 1;

/** System-descriptor type names as QEMU prints them (legacy / IA-32e tables, SDM Vol. 3 Table 3-2). */
const SYS_TYPE_NAME: readonly (readonly string[])[] = [
  ['Reserved', 'TSS16-avl', 'LDT', 'TSS16-busy', 'CallGate16', 'TaskGate', 'IntGate16', 'TrapGate16',
    'Reserved', 'TSS32-avl', 'Reserved', 'TSS32-busy', 'CallGate32', 'Reserved', 'IntGate32', 'TrapGate32'],
  ['<hiword>', 'Reserved', 'LDT', 'Reserved', 'Reserved', 'Reserved', 'Reserved', 'Reserved',
    'Reserved', 'TSS64-avl', 'Reserved', 'TSS64-busy', 'CallGate64', 'Reserved', 'IntGate64', 'TrapGate64'],
];

/** QEMU's SegmentCache.flags: the descriptor's high dword, bits 8-23 (attributes and limit 19:16). */
function qemuSegFlags(s: { limit: number; attrs: number }): number {
  const rawLimit = s.attrs & ATTR_G ? s.limit >>> 12 : s.limit;
  return ((s.attrs & 0xff) << 8) | (((rawLimit >>> 16) & 0xf) << 16) | (((s.attrs >>> 8) & 0xf) << 20);
}

function segLine(name: string, s: { selector: number; base: bigint; limit: number; attrs: number }, cs64: boolean, pe: boolean, lma: boolean): string {
  let line = `${name.padEnd(3)}=${h(s.selector, 4)} ${h(s.base, cs64 ? 16 : 8)} ${h(s.limit >>> 0, 8)} ${h(qemuSegFlags(s), 8)}`;
  if (!pe || !(s.attrs & ATTR_P)) return line;
  const type = s.attrs & 0xf;
  line += ` DPL=${(s.attrs >>> 5) & 3} `;
  if (s.attrs & ATTR_S) {
    if (type & TYPE_CODE) {
      line += s.attrs & ATTR_L ? 'CS64' : s.attrs & ATTR_DB ? 'CS32' : 'CS16';
      line += ` [${type & TYPE_CONFORMING_OR_EXPAND_DOWN ? 'C' : '-'}${type & TYPE_READABLE_OR_WRITABLE ? 'R' : '-'}`;
    } else {
      line += s.attrs & ATTR_DB || lma ? 'DS  ' : 'DS16';
      line += ` [${type & TYPE_CONFORMING_OR_EXPAND_DOWN ? 'E' : '-'}${type & TYPE_READABLE_OR_WRITABLE ? 'W' : '-'}`;
    }
    line += `${type & TYPE_ACCESSED ? 'A' : '-'}]`;
  } else line += SYS_TYPE_NAME[lma ? 1 : 0]![type]!;
  return line;
}

/** The code size QEMU disassembles with (target/i386/cpu.c x86_disas_set_info: HF_CS64, else HF_CS32 = CS.D). */
export function codeBits(s: ArchState): 16 | 32 | 64 {
  const cs = s.seg[1]!.attrs;
  if (Number(s.efer) & A.EFER_LMA && cs & ATTR_L) return 64;
  return cs & ATTR_DB ? 32 : 16;
}

/** `info registers` (x86_cpu_dump_state with CPU_DUMP_FPU, as HMP calls it). */
export function qemuInfoRegisters(v: QemuCpuView): string {
  const s = v.state;
  const lma = (Number(s.efer) & A.EFER_LMA) !== 0;
  const cs64 = lma && (s.seg[1]!.attrs & ATTR_L) !== 0;
  const pe = (Number(s.cr0) & A.CR0_PE) !== 0;
  const fl = Number(s.rflags);
  const flagChars = ([[A.RFLAGS_DF, 'D'], [A.RFLAGS_OF, 'O'], [A.RFLAGS_SF, 'S'], [A.RFLAGS_ZF, 'Z'], [A.RFLAGS_AF, 'A'], [A.RFLAGS_PF, 'P'], [A.RFLAGS_CF, 'C']] as const)
    .map(([m, c]) => (fl & m ? c : '-')).join('');
  const tail = `CPL=${v.cpl} II=${v.interruptShadow ? 1 : 0} A20=1 SMM=0 HLT=${v.halted ? 1 : 0}`;
  const out: string[] = ['', 'CPU#0'];
  if (cs64) {
    const names = ['RAX', 'RBX', 'RCX', 'RDX', 'RSI', 'RDI', 'RBP', 'RSP', 'R8 ', 'R9 ', 'R10', 'R11', 'R12', 'R13', 'R14', 'R15'];
    const enc = [0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15];
    for (let row = 0; row < 4; row++) out.push([0, 1, 2, 3].map((c) => `${names[row * 4 + c]}=${h(s.gpr[enc[row * 4 + c]!]!, 16)}`).join(' '));
    out.push(`RIP=${h(s.rip, 16)} RFL=${h(fl, 8)} [${flagChars}] ${tail}`);
  } else {
    const names = ['EAX', 'EBX', 'ECX', 'EDX', 'ESI', 'EDI', 'EBP', 'ESP'];
    const enc = [0, 3, 1, 2, 6, 7, 5, 4];
    for (let row = 0; row < 2; row++) out.push([0, 1, 2, 3].map((c) => `${names[row * 4 + c]}=${h(s.gpr[enc[row * 4 + c]!]! & 0xffffffffn, 8)}`).join(' '));
    out.push(`EIP=${h(s.rip & 0xffffffffn, 8)} EFL=${h(fl, 8)} [${flagChars}] ${tail}`);
  }
  ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'].forEach((n, i) => out.push(segLine(n, s.seg[i]!, cs64, pe, lma)));
  out.push(segLine('LDT', s.ldtr, cs64, pe, lma), segLine('TR', s.tr, cs64, pe, lma));
  const dr = v.dr;
  if (lma) {
    out.push(`GDT=     ${h(s.gdtr.base, 16)} ${h(s.gdtr.limit, 8)}`, `IDT=     ${h(s.idtr.base, 16)} ${h(s.idtr.limit, 8)}`);
    out.push(`CR0=${h(s.cr0, 8)} CR2=${h(s.cr2, 16)} CR3=${h(s.cr3, 16)} CR4=${h(s.cr4, 8)}`);
  } else {
    out.push(`GDT=     ${h(s.gdtr.base, 8)} ${h(s.gdtr.limit, 8)}`, `IDT=     ${h(s.idtr.base, 8)} ${h(s.idtr.limit, 8)}`);
    out.push(`CR0=${h(s.cr0, 8)} CR2=${h(s.cr2, 8)} CR3=${h(s.cr3, 8)} CR4=${h(s.cr4, 8)}`);
  }
  // QEMU 7.2 prints DR0-3 each followed by a space, so the line ends in one.
  out.push([0, 1, 2, 3].map((i) => `DR${i}=${h(dr[i]!, 16)} `).join(''), `DR6=${h(dr[4]!, 16)} DR7=${h(dr[5]!, 16)}`);
  out.push(`EFER=${h(s.efer, 16)}`);
  // x87 as QEMU's x86_cpu_dump_state prints it: FTW in FXSAVE's abridged form (bit i: physical register i
  // not empty), FPR<i> the physical registers (ST(j) is physical (TOP + j) mod 8), significand then sign/exponent.
  const f = v.x87, top = (f.fsw >>> 11) & 7;
  let ftwx = 0;
  for (let r = 0; r < 8; r++) if (((f.ftw >>> (2 * r)) & 3) !== 3) ftwx |= 1 << r;
  out.push(`FCW=${h(f.fcw, 4)} FSW=${h(f.fsw, 4)} [ST=${top}] FTW=${h(ftwx, 2)} MXCSR=${h(v.mxcsr, 8)}`);
  const fpr = (r: number): string => { const x = f.st[(r - top) & 7]!; return `FPR${r}=${h(x & 0xffffffffffffffffn, 16)} ${h(x >> 64n, 4)}`; };
  for (let i = 0; i < 8; i += 2) out.push(`${fpr(i)} ${fpr(i + 1)}`);
  const nXmm = cs64 ? 16 : 8;
  for (let i = 0; i < nXmm; i += 2) {
    const x = (n: number) => `XMM${String(n).padStart(2, '0')}=${h(v.xmm[n]! >> 64n, 16)} ${h(v.xmm[n]! & 0xffffffffffffffffn, 16)}`;
    out.push(`${x(i)} ${x(i + 1)}`);
  }
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------------
// x / xp (monitor/misc.c memory_dump)
// ---------------------------------------------------------------------------------------------------------

const SIZE_OF: Readonly<Record<string, number>> = { b: 1, h: 2, w: 4, g: 8 };

export interface DumpFormat {
  count: number;
  /** 'i': `count` instructions disassembled (monitor-disas.ts), as QEMU's memory_dump hands 'i' to monitor_disas. */
  format: 'x' | 'd' | 'u' | 'o' | 'c' | 'i';
  size: number;
}

/** `/fmt` as HMP parses it: [count][format][size] after the count. The count defaults to 1; format and size
 *  default to the last ones used (QEMU's last_format/last_size, initially x and w), passed in `last`. */
export function parseDumpFormat(arg: string | undefined, last: { format: DumpFormat['format']; size: number } = { format: 'x', size: 4 }): DumpFormat | string {
  const f: DumpFormat = { count: 1, format: last.format, size: last.size };
  if (arg === undefined || !arg.startsWith('/')) return f;
  const m = /^\/(\d*)(.*)$/.exec(arg)!;
  if (m[1] !== '') f.count = Number(m[1]);
  for (const ch of m[2]!) {
    if ('xduoci'.includes(ch)) f.format = ch as DumpFormat['format'];
    else if (ch in SIZE_OF) f.size = SIZE_OF[ch]!;
    else return `invalid char in format: '${ch}'`;
  }
  return f;
}

function printc(b: number): string {
  const c = b === 0x27 ? "\\'" : b === 0x5c ? '\\\\' : b === 0x0a ? '\\n' : b === 0x0d ? '\\r' : b >= 32 && b <= 126 ? String.fromCharCode(b) : `\\x${h(b, 2)}`;
  return `'${c}'`;
}

/** memory_dump: lines of 16 bytes (8 for byte units), each unit formatted as QEMU does. */
export function qemuMemoryDump(f: DumpFormat, addr: bigint, read: (addr: bigint, len: number) => Uint8Array | undefined): string {
  let wsize = f.size;
  let len = wsize * f.count;
  const lineSize = wsize === 1 ? 8 : 16;
  let digits: number;
  switch (f.format) {
    case 'o': digits = Math.ceil((wsize * 8) / 3); break;
    case 'u': case 'd': digits = Math.ceil((wsize * 8 * 10) / 33); break;
    case 'c': digits = 0; wsize = 1; break;
    default: digits = (wsize * 8) / 4;
  }
  let out = '';
  let a = addr;
  while (len > 0) {
    out += `${h(a, 16)}:`;
    const l = Math.min(len, lineSize);
    const buf = read(a, l);
    if (buf === undefined) return out + ' Cannot access memory\n';
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i < l; i += wsize) {
      const v = wsize === 1 ? BigInt(dv.getUint8(i)) : wsize === 2 ? BigInt(dv.getUint16(i, true)) : wsize === 4 ? BigInt(dv.getUint32(i, true)) : dv.getBigUint64(i, true);
      out += ' ';
      switch (f.format) {
        case 'o': out += ('0' + v.toString(8)).padStart(digits, ' '); break;
        case 'x': out += '0x' + v.toString(16).padStart(digits, '0'); break;
        case 'u': out += v.toString().padStart(digits, ' '); break;
        case 'd': out += BigInt.asIntN(wsize * 8, v).toString().padStart(digits, ' '); break;
        case 'c': out += printc(Number(v)); break;
      }
    }
    out += '\n';
    a += BigInt(l);
    len -= l;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// info tlb / info mem (target/i386/monitor.c): the page tables walked from CR3 in the current paging mode
// ---------------------------------------------------------------------------------------------------------

const PG_P = 1n << 0n;
const PG_RW = 1n << 1n;
const PG_US = 1n << 2n;
const PG_PWT = 1n << 3n;
const PG_PCD = 1n << 4n;
const PG_A = 1n << 5n;
const PG_D = 1n << 6n;
const PG_PS = 1n << 7n;
const PG_G = 1n << 8n;
const PG_NX = 1n << 63n;
/** Physical-address bits 51:12 of a PAE / 4-level entry (QEMU's masks, 52-bit MAXPHYADDR). */
const PAE_ADDR = 0x000ffffffffff000n;

interface Leaf {
  va: bigint;
  size: bigint;
  /** The leaf entry itself (info tlb prints its flags). */
  entry: bigint;
  /** Address bits of the leaf entry for this page size. */
  mask: bigint;
  /** U/W/P ANDed over every level (info mem). */
  prot: bigint;
}

export interface PagingView {
  cr0: bigint;
  cr3: bigint;
  cr4: bigint;
  efer: bigint;
  readPhys(addr: bigint, len: number): Uint8Array | undefined;
}

function entries(p: PagingView, table: bigint, n: number, width: 4 | 8): bigint[] {
  const b = p.readPhys(table, n * width);
  const out: bigint[] = new Array(n).fill(0n);
  if (!b) return out;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < n; i++) out[i] = width === 8 ? dv.getBigUint64(i * 8, true) : BigInt(dv.getUint32(i * 4, true));
  return out;
}

function walk(p: PagingView): Leaf[] {
  const leaves: Leaf[] = [];
  const UWP = PG_US | PG_RW | PG_P;
  const cr4 = Number(p.cr4);
  if (Number(p.efer) & A.EFER_LMA) {
    const l1s = entries(p, p.cr3 & PAE_ADDR, 512, 8);
    l1s.forEach((e1, i1) => {
      if (!(e1 & PG_P)) return;
      entries(p, e1 & PAE_ADDR, 512, 8).forEach((e2, i2) => {
        if (!(e2 & PG_P)) return;
        const va2 = (BigInt(i1) << 39n) | (BigInt(i2) << 30n);
        if (e2 & PG_PS) return void leaves.push({ va: va2, size: 1n << 30n, entry: e2, mask: 0x3ffffc0000000n, prot: e1 & e2 & UWP });
        entries(p, e2 & PAE_ADDR, 512, 8).forEach((e3, i3) => {
          if (!(e3 & PG_P)) return;
          const va3 = va2 | (BigInt(i3) << 21n);
          if (e3 & PG_PS) return void leaves.push({ va: va3, size: 1n << 21n, entry: e3, mask: 0x3ffffffe00000n, prot: e1 & e2 & e3 & UWP });
          entries(p, e3 & PAE_ADDR, 512, 8).forEach((e4, i4) => {
            if (e4 & PG_P) leaves.push({ va: va3 | (BigInt(i4) << 12n), size: 1n << 12n, entry: e4, mask: 0x3fffffffff000n, prot: e1 & e2 & e3 & e4 & UWP });
          });
        });
      });
    });
  } else if (cr4 & A.CR4_PAE) {
    entries(p, p.cr3 & 0xffffffe0n, 4, 8).forEach((e1, i1) => {
      if (!(e1 & PG_P)) return;
      entries(p, e1 & PAE_ADDR, 512, 8).forEach((e2, i2) => {
        if (!(e2 & PG_P)) return;
        const va2 = (BigInt(i1) << 30n) | (BigInt(i2) << 21n);
        // The PDPTE has no U/W bits (SDM Vol. 3 4.4.1): they are not part of the protection.
        if (e2 & PG_PS) return void leaves.push({ va: va2, size: 1n << 21n, entry: e2, mask: 0x3ffffffe00000n, prot: e2 & UWP });
        entries(p, e2 & PAE_ADDR, 512, 8).forEach((e3, i3) => {
          if (e3 & PG_P) leaves.push({ va: va2 | (BigInt(i3) << 12n), size: 1n << 12n, entry: e3, mask: 0x3fffffffff000n, prot: e2 & e3 & UWP });
        });
      });
    });
  } else {
    entries(p, p.cr3 & 0xfffff000n, 1024, 4).forEach((e1, i1) => {
      if (!(e1 & PG_P)) return;
      const va1 = BigInt(i1) << 22n;
      if (e1 & PG_PS && cr4 & A.CR4_PSE) return void leaves.push({ va: va1, size: 1n << 22n, entry: e1, mask: 0xffc00000n, prot: e1 & UWP });
      entries(p, e1 & 0xfffff000n, 1024, 4).forEach((e2, i2) => {
        if (e2 & PG_P) leaves.push({ va: va1 | (BigInt(i2) << 12n), size: 1n << 12n, entry: e2, mask: 0xfffff000n, prot: e1 & e2 & UWP });
      });
    });
  }
  return leaves;
}

/** 4-level linear addresses are canonical: bits 63:48 copy bit 47 (QEMU's addr_canonical). */
function canonical(p: PagingView, va: bigint): bigint {
  return Number(p.efer) & A.EFER_LMA && va & (1n << 47n) ? BigInt.asUintN(64, va | ~((1n << 48n) - 1n)) : va;
}

export function qemuInfoTlb(p: PagingView): string {
  if (!(Number(p.cr0) & A.CR0_PG)) return 'PG disabled\n';
  return walk(p)
    .map((l) => {
      const e = l.entry;
      const flags = [[PG_NX, 'X'], [PG_G, 'G'], [PG_PS, 'P'], [PG_D, 'D'], [PG_A, 'A'], [PG_PCD, 'C'], [PG_PWT, 'T'], [PG_US, 'U'], [PG_RW, 'W']] as const;
      return `${h(canonical(p, l.va), 16)}: ${h(e & l.mask, 16)} ${flags.map(([m, c]) => (e & m ? c : '-')).join('')}\n`;
    })
    .join('');
}

export function qemuInfoMem(p: PagingView): string {
  if (!(Number(p.cr0) & A.CR0_PG)) return 'PG disabled\n';
  const lma = (Number(p.efer) & A.EFER_LMA) !== 0;
  const end = lma ? 1n << 48n : 1n << 32n;
  let out = '';
  let start = -1n;
  let last = 0n;
  const print = (at: bigint, prot: bigint): void => {
    if (prot === last) return;
    if (start !== -1n) {
      out += `${h(canonical(p, start), 16)}-${h(canonical(p, at), 16)} ${h(canonical(p, at - start), 16)} ${last & PG_US ? 'u' : '-'}r${last & PG_RW ? 'w' : '-'}\n`;
    }
    start = prot !== 0n ? at : -1n;
    last = prot;
  };
  let next = 0n;
  for (const l of walk(p)) {
    if (l.va > next) print(next, 0n);
    print(l.va, l.prot);
    next = l.va + l.size;
  }
  print(next, 0n); // the first address after the last mapping ends the open range there, as QEMU's walk does
  print(end, 0n);
  return out;
}
