// Assemble 32-bit (or 16-bit) snippets with the system toolchain: test/cpu/support/asm.ts with as --32 and
// ld -m elf_i386.
import { assemble } from './asm.js';

/** Assemble AT&T source placed at `origin` in a .code32 (default) or .code16 section. */
export function asm32(source: string, origin = 0, bits: 16 | 32 = 32): Uint8Array {
  return assemble(source, origin, bits);
}
