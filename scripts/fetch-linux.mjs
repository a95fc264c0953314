#!/usr/bin/env node
// Fetch Debian's linux-image-cloud-amd64 (a real distribution kernel built for virtual machines, issue 16)
// into build/linux/ without installing it: `apt-get download` the package the metapackage depends on, then
// `dpkg-deb -x` it. Nothing of the kernel is committed; the Linux tests skip visibly when it is absent.
// Usage: node scripts/fetch-linux.mjs [--quiet]   (prints the vmlinuz path)
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
console.log(kernel);
