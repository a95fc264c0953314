// `x /Ni addr` and `xp /Ni addr`: QEMU's monitor disassembles N instructions (monitor/misc.c memory_dump hands
// format 'i' to monitor_disas). QEMU 7.2 disassembles x86 with Capstone in AT&T syntax with size suffixes and
// prints each instruction as disas/capstone.c cap_dump_insn does: address, the first 8 bytes in hex padded to
// a column, the mnemonic padded to 8, the operands; the bytes past the 8th continue on lines of their own.
// The decoder/formatter here is iced-x86 (a dependency already), GAS syntax with the mnemonic size suffix,
// which writes what Capstone writes for the code the tests compare (test/gdb/monitor.test.ts, against QEMU).
// The code size comes from CS as QEMU's x86 disas_set_info takes it from HF_CS64/HF_CS32: 64 in a long-mode
// code segment, else 32 or 16 by CS.D.
//
// iced-x86 is WebAssembly of ~1 MB: loaded on the first `x /i`, never at start-up.

import { createRequire } from 'node:module';
import type * as Iced from 'iced-x86';

/** Bytes printed on an instruction's first line (QEMU's cap_insn_split for x86). */
const BYTES_PER_LINE = 8;
/** The longest x86 instruction (SDM Vol. 2 2.3.11). */
const MAX_INSN_LEN = 15;
const PAGE = 4096n;

let iced: typeof Iced | undefined;
function loadIced(): typeof Iced {
  iced ??= createRequire(import.meta.url)('iced-x86') as typeof Iced;
  return iced;
}

export type CodeBits = 16 | 32 | 64;

/** Up to `len` bytes at `addr`, fewer when the range runs into unreadable memory past a page boundary. */
function readUpTo(read: (addr: bigint, len: number) => Uint8Array | undefined, addr: bigint, len: number): Uint8Array | undefined {
  const whole = read(addr, len);
  if (whole !== undefined) return whole;
  const toPage = Number(PAGE - (addr % PAGE));
  return toPage < len ? read(addr, toPage) : undefined;
}

const addrText = (a: bigint): string => `0x${BigInt.asUintN(64, a).toString(16).padStart(8, '0')}:  `;
const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** QEMU's monitor text for `count` instructions from `addr`. */
export function qemuDisassemble(count: number, addr: bigint, bits: CodeBits, read: (addr: bigint, len: number) => Uint8Array | undefined): string {
  const { Decoder, DecoderOptions, Formatter, FormatterSyntax, Code } = loadIced();
  const fmt = new Formatter(FormatterSyntax.Gas);
  fmt.gasShowMnemonicSizeSuffix = true;
  fmt.spaceAfterOperandSeparator = true;
  fmt.uppercaseHex = false;
  let out = '';
  let a = BigInt.asUintN(64, addr);
  try {
    for (let n = 0; n < count; n++) {
      const bytes = readUpTo(read, a, MAX_INSN_LEN);
      // QEMU 7.2's monitor_disas words it so (one space after the colon, unlike the instruction lines).
      if (bytes === undefined || bytes.length === 0) return out + `0x${BigInt.asUintN(64, a).toString(16).padStart(8, '0')}: unable to read memory\n`;
      const dec = new Decoder(bits, bytes, DecoderOptions.None);
      dec.ip = a;
      const insn = dec.decode();
      const invalid = insn.code === Code.INVALID;
      // An undecodable byte is shown on its own, as Capstone's callers do when cs_disasm stops (".byte").
      const len = invalid ? 1 : insn.length;
      const mnemonic = invalid ? '.byte' : fmt.formatMnemonic(insn);
      const operands = invalid ? `0x${bytes[0]!.toString(16).padStart(2, '0')}` : fmt.formatAllOperands(insn);
      insn.free();
      dec.free();
      const first = bytes.subarray(0, Math.min(len, BYTES_PER_LINE));
      out += `${addrText(a)}${hexBytes(first).padEnd(BYTES_PER_LINE * 3 - 1)}  ${mnemonic.padEnd(8)} ${operands}\n`;
      for (let i = BYTES_PER_LINE; i < len; i += BYTES_PER_LINE) out += `${addrText(a + BigInt(i))}${hexBytes(bytes.subarray(i, Math.min(len, i + BYTES_PER_LINE)))}\n`;
      a = BigInt.asUintN(64, a + BigInt(len));
    }
  } finally {
    fmt.free();
  }
  return out;
}
