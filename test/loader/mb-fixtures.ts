// Multiboot test kernels, assembled and linked with the system binutils into a temporary directory.
// Each fixture is small and says in its source what it is for; nothing here is committed as a binary.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

function has(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** binutils (as, ld, objcopy) are needed to build the kernels; tests that need them say so in their name. */
export const HAVE_BINUTILS = has('as') && has('ld') && has('objcopy');

export const dir = mkdtempSync(join(tmpdir(), 'dbstub-mb-'));

export interface Built {
  path: string;
  bytes: Uint8Array;
}

/** Assemble `src` (as --32 or --64) and link it with the linker script `lds`. */
export function build(name: string, src: string, lds: string, bits: 32 | 64): Built {
  const s = join(dir, `${name}.S`);
  const o = join(dir, `${name}.o`);
  const l = join(dir, `${name}.ld`);
  const out = join(dir, `${name}.elf`);
  writeFileSync(s, src);
  writeFileSync(l, lds);
  execFileSync('as', [bits === 32 ? '--32' : '--64', '-o', o, s]);
  const ld = (extra: string[]) => execFileSync('ld', ['-m', bits === 32 ? 'elf_i386' : 'elf_x86_64', ...extra, '-T', l, '-o', out, o], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    ld(['--no-warn-rwx-segments']); // binutils >= 2.39 warns about the RWX segment these tiny kernels have
  } catch {
    ld([]);
  }
  return { path: out, bytes: new Uint8Array(readFileSync(out)) };
}

/** A flat binary of an ELF's loadable bytes (objcopy -O binary): how a.out-kludge kernels are often shipped. */
export function flat(elf: Built, name: string): Built {
  const out = join(dir, `${name}.bin`);
  execFileSync('objcopy', ['-O', 'binary', elf.path, out]);
  return { path: out, bytes: new Uint8Array(readFileSync(out)) };
}

export function file(name: string, data: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

/** The state-dumping kernel: ELF32 (flags 0x3), or with `kludge` the same code with header flag bit 16
 *  shipped as a flat binary (objcopy -O binary), loaded through the a.out-kludge addresses. */
export function dumpKernel(kludge = false): Built {
  let src = readFileSync(join(FIXTURES, 'mb-dump.S'), 'utf8');
  if (kludge) src = src.replace('.set MB_FLAGS, 0x00000003', '.set MB_FLAGS, 0x00010003');
  const elf = build(kludge ? 'mb-dump-kludge' : 'mb-dump', src, readFileSync(join(FIXTURES, 'mb-dump.ld'), 'utf8'), 32);
  return kludge ? flat(elf, 'mb-dump-kludge') : elf;
}

/** The Multiboot header of the ELF32 fixtures (magic, flags 0x3: page-aligned modules and memory
 *  information, checksum; Multiboot Specification 0.6.96, 3.1.1) and the start of their 32-bit _start. */
const ELF32_HEADER_AND_START = `
    .section .multiboot, "a"
    .align 4
    .long 0x1BADB002, 0x3, -(0x1BADB002 + 0x3)
    .text
    .code32
    .globl _start
_start:`;

/** ELF32 kernel with text at 1 MiB and a data segment at 2 MiB whose bss is larger than its file part:
 *  the gap between them and the bss must come out zero. */
export const ELF32_TWO_SEGMENTS = {
  src: `${ELF32_HEADER_AND_START}
    movl $0x11223344, data_word
    hlt
    .section .data, "aw"
    .globl data_word
data_word: .long 0xCAFEBABE
    .section .bss, "aw", @nobits
    .globl big_bss
    .type big_bss, @object
    .size big_bss, 0x3000
big_bss: .space 0x3000
`,
  lds: `ENTRY(_start)
SECTIONS {
  . = 0x100000;
  .text : { *(.multiboot) *(.text) }
  . = 0x200000;
  .data : { *(.data) }
  .bss : { *(.bss) }
}`,
};

/** ELF64 kernel (x86-64 code after a 32-bit entry stub) that QEMU boots only through the a.out kludge:
 *  header flag bit 16 with the addresses taken from linker symbols. `kludge` false leaves the bit clear. */
export function elf64Kernel(kludge: boolean): { src: string; lds: string } {
  const flags = kludge ? '0x00010003' : '0x00000003';
  return {
    src: `
    .set FLAGS, ${flags}
    .section .multiboot, "a"
    .align 4
mb_header:
    .long 0x1BADB002, FLAGS, -(0x1BADB002 + FLAGS)
    .long mb_header, _load_start, _load_end, _bss_end, _start
    .text
    .code32
    .globl _start
_start:
    mov $0x2A, %al
    out %al, $0xf4
    hlt
    .code64
    .globl long_entry
long_entry:
    movq $0x1122334455667788, %rax
    .data
    .globl data_word
data_word: .quad 0x0102030405060708
    .bss
    .globl bss_area
bss_area: .space 0x2000
`,
    lds: `ENTRY(_start)
SECTIONS {
  . = 0x100000;
  _load_start = .;
  .text : { *(.multiboot) *(.text) }
  .data : { *(.data) }
  _load_end = .;
  .bss : { *(.bss) }
  _bss_end = .;
}`,
  };
}

/** Higher-half ELF32 kernel: .text at VMA 0xC0100000, LMA 1 MiB, e_entry virtual. It prints 'A' and the
 *  physical address it runs at (CALL/POP, 4 bytes big-endian) on COM1, then exits with value 0x12. */
export const ELF32_HIGHER_HALF = {
  src: `${ELF32_HEADER_AND_START}
    mov $0x41, %al
    mov $0x3f8, %dx
    out %al, %dx
    call 1f
1:  pop %eax
    mov $4, %ecx
2:  rol $8, %eax
    out %al, %dx
    loop 2b
    mov $0x12, %al
    out %al, $0xf4
    hlt
`,
  lds: `ENTRY(_start)
SECTIONS {
  . = 0xC0100000;
  .text : AT(0x100000) { *(.multiboot) *(.text) }
}`,
};
