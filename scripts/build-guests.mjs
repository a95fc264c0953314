#!/usr/bin/env node
// Build every guest program with the system toolchain (gcc + GNU as + ld).
//
// Convention: a guest is a directory holding *.c and/or *.S files directly:
//   examples/<name>/            -> build/guests/<name>.elf
//   test/guest-src/<a>/.../<name>/ -> build/guests/<a>/.../<name>.elf  (the path below test/guest-src)
// The sources are linked with the guest runtime (examples/runtime: start.S, runtime.c, linker.ld at
// 1 MiB) unless one of them defines `_start:` itself, or the directory's optional build.json says:
//   { "runtime": false,          // link only this directory's sources (they provide _start)
//     "cflags": ["-O0"],         // appended to the default flags
//     "ldscript": "my.ld",       // relative to the guest directory (default: its linker.ld if present,
//                                //  else examples/runtime/linker.ld)
//     "arch": "i386",            // a 32-bit guest: gcc -m32 (ld -m elf_i386, ELF32); default x86_64
//     "multiboot": true }        // check the linked ELF boots with QEMU's -kernel: a Multiboot v1 header
//                                //  in the first 8 KiB; with the a.out kludge (ELF64 kernels), the file
//                                //  bytes from the header on must mirror memory (examples/multiboot/)
// A guest is rebuilt only when an input is newer than its ELF or the command line changed (recorded
// in <elf>.cmd), so running this before every test run is cheap. Options: --force, --quiet,
// --update-prebuilt (copy build/guests/hello.elf to examples/prebuilt/hello.elf), and guest names
// to build only those.

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNTIME = join(ROOT, 'examples', 'runtime');
const OUT = join(ROOT, 'build', 'guests');
const SKIP_EXAMPLES = new Set(['runtime', 'prebuilt']);

export const CFLAGS = [
  '-ffreestanding', '-nostdlib', '-static', '-no-pie', '-fno-pic',
  '-mno-red-zone', '-mno-sse', '-mno-mmx', '-mgeneral-regs-only',
  '-O2', '-g', '-fno-stack-protector', '-fcf-protection=none',
  '-fno-asynchronous-unwind-tables', '-fno-tree-loop-distribute-patterns',
  '-Wall', '-Wl,--build-id=none', '-Wl,-z,noexecstack', '-Wl,-z,max-page-size=4096',
];

const args = process.argv.slice(2);
const force = args.includes('--force');
const quiet = args.includes('--quiet');
const updatePrebuilt = args.includes('--update-prebuilt');
const only = args.filter((a) => !a.startsWith('--'));

const isSource = (f) => f.endsWith('.c') || f.endsWith('.S') || f.endsWith('.s');

function discover() {
  const guests = [];
  const exDir = join(ROOT, 'examples');
  if (existsSync(exDir)) {
    for (const name of readdirSync(exDir).sort()) {
      const dir = join(exDir, name);
      if (SKIP_EXAMPLES.has(name) || !statSync(dir).isDirectory()) continue;
      if (readdirSync(dir).some(isSource)) guests.push({ name, dir });
      // A directory of guests (examples/seeds/<scenario>/): one level down, built as <name>/<scenario>.elf.
      else
        for (const sub of readdirSync(dir).sort()) {
          const sd = join(dir, sub);
          if (statSync(sd).isDirectory() && readdirSync(sd).some(isSource)) guests.push({ name: `${name}/${sub}`, dir: sd });
        }
    }
  }
  const tg = join(ROOT, 'test', 'guest-src');
  const walk = (dir) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (dir !== tg && entries.some((e) => e.isFile() && isSource(e.name))) {
      guests.push({ name: relative(tg, dir).split(sep).join('/'), dir });
    }
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
  };
  if (existsSync(tg)) walk(tg);
  return guests;
}

/** The file plus every file it includes with a quoted relative path (#include "x" / .include "x"), recursively. */
function withIncludes(file, seen = new Set()) {
  if (seen.has(file) || !existsSync(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^\s*(?:#\s*include|\.include)\s+"([^"]+)"/gm)) {
    for (const dir of [dirname(file), RUNTIME]) {
      const f = join(dir, m[1]);
      if (existsSync(f)) {
        withIncludes(f, seen);
        break;
      }
    }
  }
  return seen;
}

const definesStart = (files) => [...files].some((f) => /^\s*_start\s*:/m.test(readFileSync(f, 'utf8')));

function plan(g) {
  let cfg = {};
  const bj = join(g.dir, 'build.json');
  if (existsSync(bj)) {
    try {
      cfg = JSON.parse(readFileSync(bj, 'utf8'));
    } catch (e) {
      throw new Error(`${relative(ROOT, bj)}: ${e.message}`);
    }
  }
  const own = readdirSync(g.dir).filter(isSource).sort().map((f) => join(g.dir, f));
  const ownFiles = new Set();
  for (const f of own) withIncludes(f, ownFiles);
  // Default: link the runtime unless the guest brings its own entry point.
  const useRuntime = cfg.runtime ?? !definesStart(ownFiles);
  const sources = useRuntime ? [join(RUNTIME, 'start.S'), join(RUNTIME, 'runtime.c'), ...own] : own;
  const ldscript = cfg.ldscript ? join(g.dir, cfg.ldscript) : existsSync(join(g.dir, 'linker.ld')) ? join(g.dir, 'linker.ld') : join(RUNTIME, 'linker.ld');
  const out = join(OUT, ...g.name.split('/')) + '.elf';
  if (cfg.arch !== undefined && !ARCH_FLAGS[cfg.arch]) throw new Error(`${relative(ROOT, bj)}: "arch" must be one of ${Object.keys(ARCH_FLAGS).join(', ')}`);
  // Extra flags only when build.json asks, so every existing guest's recorded command stays the same.
  const argv = [...CFLAGS, ...(cfg.arch ? ARCH_FLAGS[cfg.arch] : []), ...(cfg.cflags ?? []), `-I${RUNTIME}`, `-I${g.dir}`, '-T', ldscript, '-o', out, ...sources];
  // Every file that can change the result: sources, headers beside them, build.json, the script itself.
  const headers = (d) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.h')).map((f) => join(d, f)) : []);
  const inputs = [...ownFiles, ...sources, ldscript, ...headers(g.dir), ...(useRuntime ? headers(RUNTIME) : []), fileURLToPath(import.meta.url)];
  if (existsSync(bj)) inputs.push(bj);
  return { ...g, out, argv, inputs, multiboot: cfg.multiboot === true };
}

const ARCH_FLAGS = { x86_64: [], i386: ['-m32'] };

// Multiboot Specification 0.6.96, 3.1: the header (magic, flags, checksum; with flags bit 16 also
// header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr) lies 4-aligned in the first 8192
// bytes of the file. QEMU's -kernel loads an ELF64 only through the a.out kludge, copying the file from
// (header offset - (header_addr - load_addr)) for (load_end_addr - load_addr) bytes: so that must be
// exactly where the ELF's PT_LOAD puts those bytes.
const MB_HEADER_MAGIC = 0x1badb002;
const MB_AOUT_KLUDGE = 1 << 16;
const MB_SEARCH_BYTES = 8192;
export function checkMultiboot(file) {
  const b = readFileSync(file);
  let off = -1;
  for (let i = 0; i + 12 <= Math.min(b.length, MB_SEARCH_BYTES); i += 4) {
    if (b.readUInt32LE(i) === MB_HEADER_MAGIC && ((b.readUInt32LE(i) + b.readUInt32LE(i + 4) + b.readUInt32LE(i + 8)) >>> 0) === 0) {
      off = i;
      break;
    }
  }
  if (off < 0) throw new Error(`${relative(ROOT, file)}: no Multiboot header in the first ${MB_SEARCH_BYTES} bytes`);
  const flags = b.readUInt32LE(off + 4);
  const elf64 = b[4] === 2;
  if (elf64 && !(flags & MB_AOUT_KLUDGE)) throw new Error(`${relative(ROOT, file)}: an ELF64 Multiboot kernel needs the a.out kludge (flags bit 16): QEMU refuses ELF64 otherwise`);
  if (!(flags & MB_AOUT_KLUDGE)) return;
  const [headerAddr, loadAddr, loadEnd, bssEnd, entry] = [12, 16, 20, 24, 28].map((k) => b.readUInt32LE(off + k));
  const fileStart = off - (headerAddr - loadAddr);
  const bad = (why) => { throw new Error(`${relative(ROOT, file)}: Multiboot a.out kludge: ${why}`); };
  if (fileStart < 0) bad('load_addr is before the file start');
  if (loadEnd && fileStart + (loadEnd - loadAddr) > b.length) bad('load_end_addr is past the end of the file');
  if (bssEnd && bssEnd < loadEnd) bad('bss_end_addr is below load_end_addr');
  if (entry < loadAddr || entry >= (bssEnd || loadEnd || loadAddr + b.length - fileStart)) bad('entry_addr is outside the image');
  // The PT_LOAD holding header_addr must map file offset (header offset) to header_addr, i.e. the file mirrors memory.
  const phoff = elf64 ? Number(b.readBigUInt64LE(32)) : b.readUInt32LE(28);
  const phentsize = b.readUInt16LE(elf64 ? 54 : 42);
  const phnum = b.readUInt16LE(elf64 ? 56 : 44);
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (b.readUInt32LE(p) !== 1) continue; // PT_LOAD
    const pOff = elf64 ? Number(b.readBigUInt64LE(p + 8)) : b.readUInt32LE(p + 4);
    const pVaddr = elf64 ? Number(b.readBigUInt64LE(p + 16)) : b.readUInt32LE(p + 8);
    const pFilesz = elf64 ? Number(b.readBigUInt64LE(p + 32)) : b.readUInt32LE(p + 16);
    if (headerAddr < pVaddr || headerAddr >= pVaddr + pFilesz) continue;
    if (pOff - pVaddr !== off - headerAddr) bad('the PT_LOAD holding the header does not mirror memory in the file');
    if (loadEnd && loadEnd > pVaddr + pFilesz) bad('load_end_addr is past the PT_LOAD file bytes (put the bss after _edata)');
    return;
  }
  bad('no PT_LOAD holds header_addr');
}

function upToDate(p) {
  if (force || !existsSync(p.out) || !existsSync(p.out + '.cmd')) return false;
  if (readFileSync(p.out + '.cmd', 'utf8') !== p.argv.join('\n')) return false;
  const t = statSync(p.out).mtimeMs;
  return p.inputs.every((f) => statSync(f).mtimeMs <= t);
}

async function build(p) {
  mkdirSync(dirname(p.out), { recursive: true });
  try {
    await run('gcc', p.argv, { cwd: ROOT });
  } catch (e) {
    if (e.code === 'ENOENT') throw new Error('gcc not found: install the system toolchain (Debian: apt-get install gcc binutils)');
    throw new Error(`building ${p.name} failed:\n${e.stderr || e.message}`);
  }
  if (p.multiboot) checkMultiboot(p.out);
  writeFileSync(p.out + '.cmd', p.argv.join('\n'));
}

async function main() {
  let guests = discover();
  if (only.length) guests = guests.filter((g) => only.includes(g.name));
  const plans = guests.map(plan);
  const todo = plans.filter((p) => !upToDate(p));
  const queue = [...todo];
  const errors = [];
  const worker = async () => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      try {
        await build(p);
      } catch (e) {
        errors.push(e.message);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  if (errors.length) {
    for (const e of errors) console.error(`build-guests: ${e}`);
    process.exit(1);
  }
  if (!quiet) {
    console.log(`build-guests: ${plans.length} guests, ${todo.length} rebuilt${todo.length ? ` (${todo.map((p) => p.name).join(', ')})` : ''} -> ${relative(ROOT, OUT)}/`);
  }
  if (updatePrebuilt) {
    copyFileSync(join(OUT, 'hello.elf'), join(ROOT, 'examples', 'prebuilt', 'hello.elf'));
    if (!quiet) console.log('build-guests: updated examples/prebuilt/hello.elf');
  }
}

main().catch((e) => {
  console.error(`build-guests: ${e.message}`);
  process.exit(1);
});
