// Build the guest programs (examples/ and test/guest-src/) with the system toolchain once before any test runs.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export default function setup(): void {
  if (existsSync('scripts/build-guests.mjs')) {
    execFileSync(process.execPath, ['scripts/build-guests.mjs'], { stdio: 'inherit' });
  }
}
