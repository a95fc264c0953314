// Compares a native and a simulated result under a case's masks and renders a readable diff.
import iced from 'iced-x86';
import { AF, CF, COMPARED_FLAGS, type CaseInput, type CaseResult, CODE_ADDR, DF, OF, PF, SCRATCH_ADDR, SF, ZF } from './layout.js';
import type { GenCase } from './gen.js';
import { R64 } from './gen.js';

const { Decoder, DecoderOptions, Formatter, FormatterSyntax } = iced as unknown as typeof import('iced-x86');

export interface Mismatch {
  what: string[];
}

export function compare(g: GenCase, nat: CaseResult, sim: CaseResult & { note?: string }): string[] {
  const diffs: string[] = [];
  if (nat.vector !== sim.vector) {
    diffs.push(`outcome: native ${outcome(nat)}, simulator ${outcome(sim)}${sim.note ? ` (${sim.note})` : ''}`);
    return diffs;
  }
  const faulted = nat.vector >= 0;
  if (nat.rip !== sim.rip) diffs.push(`RIP: native 0x${nat.rip.toString(16)}, simulator 0x${sim.rip.toString(16)}`);
  // #PF error codes (SDM Vol. 3 Figure 5-12): the host runs the snippet at CPL 3 and the simulator at
  // CPL 0, so U/S (bit 2) differs by construction; I/D (bit 4) only appears with NX. Compared: P, W/R, RSVD.
  const ecMask = nat.vector === 14 ? 0b1011 : 0xffffffff;
  if (faulted && hasErrorCode(nat.vector) && (nat.errorCode & ecMask) !== (sim.errorCode & ecMask))
    diffs.push(`error code: native 0x${nat.errorCode.toString(16)}, simulator 0x${sim.errorCode.toString(16)} (compared 0x${ecMask.toString(16)})`);
  if (nat.vector === 14 && nat.cr2 !== sim.cr2) diffs.push(`CR2: native 0x${nat.cr2.toString(16)}, simulator 0x${sim.cr2.toString(16)}`);
  const flagMask = COMPARED_FLAGS & ~(faulted ? 0 : g.undefFlags);
  if ((nat.rflags & flagMask) !== (sim.rflags & flagMask))
    diffs.push(`RFLAGS (compared ${flagNames(flagMask)}): native ${flagNames(nat.rflags & flagMask)}, simulator ${flagNames(sim.rflags & flagMask)}`);
  for (let i = 0; i < 16; i++) {
    // In a 32-bit code segment only EAX..EDI bits 31:0 are architectural (SDM Vol. 1 3.4.1.1).
    const m = g.compat32 ? (i < 8 ? (faulted ? 0xffffffffn : g.gprMask[i]! & 0xffffffffn) : 0n) : faulted ? (1n << 64n) - 1n : g.gprMask[i]!;
    if (m === 0n) continue;
    if ((nat.gpr[i]! & m) !== (sim.gpr[i]! & m))
      diffs.push(`${R64[i]}: native ${hex(nat.gpr[i]!)}, simulator ${hex(sim.gpr[i]!)}${m !== (1n << 64n) - 1n ? ` (mask ${hex(m)})` : ''}`);
  }
  // SSE state: every XMM byte and MXCSR (flags included), except the bytes a case declares approximate
  // (RCPPS/RSQRTPS: the SDM bounds their relative error only; g.xmmApprox checks the bound instead).
  for (let r = 0; r < 16; r++) {
    const a = nat.xmm.subarray(r * 16, r * 16 + 16), b = sim.xmm.subarray(r * 16, r * 16 + 16);
    const approx = g.xmmApprox?.(r, a, b);
    if (approx !== undefined) { if (approx) diffs.push(`xmm${r}: ${approx}`); continue; }
    if (Buffer.compare(a, b) !== 0) diffs.push(`xmm${r}: native ${xmmHex(a)}, simulator ${xmmHex(b)}`);
  }
  if (nat.mxcsr !== sim.mxcsr) diffs.push(`MXCSR: native 0x${nat.mxcsr.toString(16)}, simulator 0x${sim.mxcsr.toString(16)}`);
  const ignore = new Uint8Array(nat.mem.length);
  if (!faulted) for (const [o, l] of g.memIgnore) ignore.fill(1, o, o + l);
  for (let i = 0; i < nat.mem.length; i++) {
    if (!ignore[i] && nat.mem[i] !== sim.mem[i]) {
      let j = i;
      while (j < nat.mem.length && j < i + 16 && nat.mem[j] !== sim.mem[j]) j++;
      diffs.push(`memory 0x${(SCRATCH_ADDR + i).toString(16)}: native ${bytes(nat.mem.subarray(i, j + 1))}, simulator ${bytes(sim.mem.subarray(i, j + 1))}`);
      break;
    }
  }
  return diffs;
}

/** An XMM register as its four dwords, high to low (as gdb prints v4_int32 reversed: d3 d2 d1 d0). */
export function xmmHex(b: Uint8Array): string {
  const dv = new DataView(b.buffer, b.byteOffset, 16);
  return [3, 2, 1, 0].map((k) => dv.getUint32(4 * k, true).toString(16).padStart(8, '0')).join('_');
}

function hasErrorCode(v: number): boolean {
  return [8, 10, 11, 12, 13, 14, 17, 21, 29, 30].includes(v);
}
function outcome(r: CaseResult): string {
  return r.vector === -1 ? 'completed' : r.vector === -2 ? 'no result' : r.vector === -3 ? 'timed out' : `exception vector ${r.vector} at 0x${r.rip.toString(16)}`;
}
export function hex(v: bigint): string {
  return `0x${BigInt.asUintN(64, v).toString(16).padStart(16, '0')}`;
}
function bytes(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
export function flagNames(f: number): string {
  const names: [number, string][] = [[OF, 'OF'], [DF, 'DF'], [SF, 'SF'], [ZF, 'ZF'], [AF, 'AF'], [PF, 'PF'], [CF, 'CF']];
  const on = names.filter(([b]) => f & b).map(([, n]) => n);
  return on.length ? on.join('|') : '-';
}

export function disassemble(code: Uint8Array): string {
  const dec = new Decoder(64, code, DecoderOptions.None);
  dec.ip = BigInt(CODE_ADDR);
  const fmt = new Formatter(FormatterSyntax.Intel);
  const parts: string[] = [];
  while (dec.canDecode) {
    const insn = dec.decode();
    parts.push(fmt.format(insn));
    insn.free();
  }
  fmt.free();
  dec.free();
  return parts.join('; ');
}

/** Full human-readable report of one mismatching case. */
export function report(g: GenCase, input: CaseInput, nat: CaseResult, sim: CaseResult, diffs: string[]): string {
  const lines = [
    `[${g.family}] ${g.form}: ${g.asm}`,
    `  bytes ${bytes(input.code)}  (iced: ${disassemble(input.code)})`,
    `  inputs: RFLAGS ${flagNames(input.rflags)}; ${input.gpr.map((v, i) => `${R64[i]}=${hex(v)}`).join(' ')}`,
  ];
  if (input.patch) lines.push(`  memory patch at 0x${(SCRATCH_ADDR + input.patch.off).toString(16)}: ${bytes(input.patch.bytes)} (rest of the window: splitmix64 seed ${hex(input.memSeed)})`);
  if (input.xmm) {
    const named = [...new Set([...g.asm.matchAll(/xmm(\d+)/g)].map((m) => Number(m[1])))];
    lines.push(`  inputs: MXCSR 0x${(input.mxcsr ?? 0x1f80).toString(16)}; ${named.map((r) => `xmm${r}=${xmmHex(input.xmm!.subarray(r * 16, r * 16 + 16))}`).join(' ')}`);
  }
  if (g.notes.length) lines.push(`  masked: ${[...new Set(g.notes)].join('; ')}`);
  lines.push(`  native: ${outcome(nat)} RFLAGS ${flagNames(nat.rflags & COMPARED_FLAGS)}`);
  lines.push(`  simulator: ${outcome(sim)} RFLAGS ${flagNames(sim.rflags & COMPARED_FLAGS)}`);
  for (const d of diffs) lines.push(`  DIFF ${d}`);
  return lines.join('\n');
}
