#!/usr/bin/env node
// Fetch Debian's linux-image-cloud-amd64 (a real distribution kernel built for virtual machines, issue 16)
// into build/linux/ without installing it: `apt-get download` the package the metapackage depends on, then
// `dpkg-deb -x` it. Nothing of the kernel is committed; the Linux tests skip visibly when it is absent.
// With --selftests it also fetches Debian's linux-source-6.1 and keeps only what Linux's own x86 and
// breakpoints selftests need to build (tools/testing/selftests/{x86,breakpoints}, kselftest.h, the one arch
// header sigreturn.c includes) in build/linux/src; src/bench/linux-initramfs.ts builds them.
// Usage: node scripts/fetch-linux.mjs [--quiet] [--selftests]   (prints the vmlinuz path)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const META = 'linux-image-cloud-amd64';
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const dir = join(root, 'build', 'linux');
const quiet = process.argv.includes('--quiet');
const say = (m) => quiet || console.error(`fetch-linux: ${m}`);

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function existing() {
  const boot = join(dir, 'x', 'boot');
  if (!existsSync(boot)) return undefined;
  const f = readdirSync(boot).find((n) => n.startsWith('vmlinuz-'));
  return f === undefined ? undefined : join(boot, f);
}

let kernel = existing();
if (kernel === undefined) {
  // The metapackage depends on the versioned image package (linux-image-6.1.0-NN-cloud-amd64).
  const deps = run('apt-cache', ['depends', META]);
  const pkg = /Depends:\s+(linux-image-[0-9][^\s]*-cloud-amd64)/.exec(deps)?.[1];
  if (pkg === undefined) {
    console.error(`fetch-linux: apt-cache does not know ${META} (is Debian's main archive in sources.list?)`);
    process.exit(69);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  say(`downloading ${pkg}`);
  run('apt-get', ['download', '-q', pkg], dir);
  const deb = readdirSync(dir).find((n) => n.endsWith('.deb'));
  if (deb === undefined) {
    console.error(`fetch-linux: apt-get download ${pkg} left no .deb in ${dir}`);
    process.exit(69);
  }
  run('dpkg-deb', ['-x', deb, 'x'], dir);
  // Only boot/ is used (vmlinuz, config); the modules tree is ~100 MiB.
  for (const sub of ['lib', 'usr']) rmSync(join(dir, 'x', sub), { recursive: true, force: true });
  rmSync(join(dir, deb));
  writeFileSync(join(dir, 'PACKAGE'), `${pkg}\n`);
  kernel = existing();
  if (kernel === undefined) {
    console.error(`fetch-linux: ${pkg} has no boot/vmlinuz-*`);
    process.exit(69);
  }
}
say(`kernel: ${kernel}`);

const SOURCE_PKG = 'linux-source-6.1';
const srcDir = join(dir, 'src');
/** Paths inside linux-source-6.1.tar.xz the selftests need. */
const SELFTEST_PATHS = [
  'tools/testing/selftests/x86',
  'tools/testing/selftests/breakpoints',
  'tools/testing/selftests/kselftest.h',
  'arch/x86/include/asm/desc_defs.h',
];
if (process.argv.includes('--selftests') && !existsSync(join(srcDir, 'PACKAGE'))) {
  rmSync(srcDir, { recursive: true, force: true });
  mkdirSync(srcDir, { recursive: true });
  say(`downloading ${SOURCE_PKG}`);
  run('apt-get', ['download', '-q', SOURCE_PKG], srcDir);
  const deb = readdirSync(srcDir).find((n) => n.endsWith('.deb'));
  if (deb === undefined) {
    console.error(`fetch-linux: apt-get download ${SOURCE_PKG} left no .deb in ${srcDir}`);
    process.exit(69);
  }
  // The package is one tarball of the tree (~140 MB); unpack the tarball, then only the selftests from it.
  run('sh', ['-c', `dpkg-deb --fsys-tarfile '${deb}' | tar x --wildcards --strip-components=3 './usr/src/${SOURCE_PKG}.tar.xz'`], srcDir);
  run('tar', ['xJf', `${SOURCE_PKG}.tar.xz`, '--strip-components=1', ...SELFTEST_PATHS.map((p) => `${SOURCE_PKG}/${p}`)], srcDir);
  rmSync(join(srcDir, deb));
  rmSync(join(srcDir, `${SOURCE_PKG}.tar.xz`));
  writeFileSync(join(srcDir, 'PACKAGE'), `${deb.replace(/\.deb$/, '')}\n`);
  say(`selftests: ${join(srcDir, 'tools', 'testing', 'selftests')}`);
}
console.log(kernel);
