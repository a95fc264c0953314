// Builds the bench guests (bench/guests/*) with the convention of scripts/build-guests.mjs: a guest is a
// directory of *.c/*.S files linked with the guest runtime (examples/runtime) at 1 MiB, compiled with the
// same CFLAGS (read from that script so the two never drift). Outputs go to build/guests/bench/.
// Besides the two dbstub guests it builds the same workload as a static Linux program (qemu-x86_64) and as a
// flat Multiboot image (qemu-system-x86_64 -kernel); every build compiles core/workload.c alone, with the
// same flags, so the workload's machine code is the same in all of them (checked by sameCode()).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseElf } from '../loader/elf.js';
import { ROOT } from './util.js';

const RUNTIME = join(ROOT, 'examples', 'runtime');
const SRC = join(ROOT, 'bench', 'guests');
export const OUT = join(ROOT, 'build', 'guests', 'bench');

export interface BenchGuests {
  loop: string;
  sortcrc: string;
  /** Static Linux x86-64 program: `linux loop ITERS TICK` / `linux sortcrc WORDS REPS`. */
  linux: string;
  /** Flat Multiboot image for qemu-system-x86_64 -kernel (undefined when objcopy is missing). */
  multiboot: string | undefined;
}

/** CFLAGS of scripts/build-guests.mjs (its `export const CFLAGS = [...]` literal). */
export function guestCflags(): string[] {
  const text = readFileSync(join(ROOT, 'scripts', 'build-guests.mjs'), 'utf8');
  const m = /export const CFLAGS = \[([\s\S]*?)\];/.exec(text);
  if (!m) throw new Error('cannot find CFLAGS in scripts/build-guests.mjs');
  return [...m[1]!.matchAll(/'([^']*)'/g)].map((x) => x[1]!);
}

const sources = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /\.(c|S)$/.test(f))
    .sort()
    .map((f) => join(dir, f));

function build(out: string, argv: string[], inputs: string[]): void {
  const cmd = argv.join('\n');
  if (existsSync(out) && existsSync(out + '.cmd') && readFileSync(out + '.cmd', 'utf8') === cmd) {
    const t = statSync(out).mtimeMs;
    if (inputs.every((f) => statSync(f).mtimeMs <= t)) return;
  }
  mkdirSync(OUT, { recursive: true });
  execFileSync('gcc', argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  writeFileSync(out + '.cmd', cmd);
}

export function buildBenchGuests(): BenchGuests {
  const cflags = guestCflags();
  const core = [join(SRC, 'core', 'workload.c'), join(SRC, 'core', 'workload.h'), join(ROOT, 'scripts', 'build-guests.mjs')];
  const runtimeFiles = [join(RUNTIME, 'start.S'), join(RUNTIME, 'runtime.c'), join(RUNTIME, 'runtime.h'), join(RUNTIME, 'linker.ld')];
  const out: Partial<BenchGuests> = {};
  for (const name of ['loop', 'sortcrc'] as const) {
    const dir = join(SRC, name);
    const elf = join(OUT, `${name}.elf`);
    const src = sources(dir);
    build(elf, [...cflags, `-I${RUNTIME}`, `-I${dir}`, '-T', join(RUNTIME, 'linker.ld'), '-o', elf, join(RUNTIME, 'start.S'), join(RUNTIME, 'runtime.c'), ...src], [...src, ...core, ...runtimeFiles]);
    out[name] = elf;
  }
  {
    const dir = join(SRC, 'linux');
    const elf = join(OUT, 'linux.elf');
    const src = sources(dir);
    // Same flags; the default Linux static layout instead of the 1 MiB script.
    build(elf, [...cflags, `-I${dir}`, '-o', elf, ...src], [...src, ...core]);
    out.linux = elf;
  }
  {
    const dir = join(SRC, 'multiboot');
    const elf = join(OUT, 'multiboot.elf');
    const src = sources(dir);
    build(elf, [...cflags, `-I${dir}`, '-T', join(dir, 'linker.ld'), '-o', elf, ...src], [...src, ...core, join(dir, 'linker.ld')]);
    const bin = join(OUT, 'multiboot.bin');
    try {
      if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(elf).mtimeMs) execFileSync('objcopy', ['-O', 'binary', elf, bin]);
      out.multiboot = bin;
    } catch {
      out.multiboot = undefined;
    }
  }
  return out as BenchGuests;
}

/** The bytes of a function symbol in an ELF (file-backed segments only). */
export function functionBytes(path: string, name: string): Uint8Array | undefined {
  const bytes = new Uint8Array(readFileSync(path));
  const img = parseElf(bytes, { memorySize: 1 << 30 });
  const sym = img.symbols.get(name);
  if (!sym || sym.size === 0) return undefined;
  for (const seg of img.segments) {
    const base = seg.vaddr;
    if (sym.value >= base && sym.value + BigInt(sym.size) <= base + BigInt(seg.data.length)) {
      const off = Number(sym.value - base);
      return seg.data.slice(off, off + sym.size);
    }
  }
  return undefined;
}

/** Whether the function's machine code is the same in every given ELF: byte-identical except, at most,
 *  one 4-byte window (int_loop's absolute address of bench_tick differs between link layouts; everything
 *  else in the workload is position-independent). */
export function sameCode(paths: string[], name: string): boolean | undefined {
  const all = paths.map((p) => functionBytes(p, name));
  if (all.some((b) => b === undefined)) return undefined;
  const [first, ...rest] = all as Uint8Array[];
  return rest.every((b) => {
    if (b.length !== first!.length) return false;
    const diff: number[] = [];
    b.forEach((x, i) => x !== first![i] && diff.push(i));
    return diff.length === 0 || diff[diff.length - 1]! - diff[0]! < 4;
  });
}
