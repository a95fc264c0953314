// Harness of the 32-bit #DB proof suite (debug32): build and run one guest of test/guest-src/debug32/<scenario>/
// (an ELF32 Multiboot kernel; for compat-* an lm64-style ELF64 Multiboot kernel running its bodies in compatibility-mode
// code segments)
// and parse what its own exception handlers logged over COM1, in the line format of test/guest-src/debug/rt.inc
// (parsed by the same code: test/debug/code64/harness.ts). Two machines per scenario:
//   - bare: no hypervisor, #DBs go straight to the guest's IDT (silicon);
//   - kvm:  the KVM model and the QEMU glue with the default configuration (no debugger attached, so KVM
//           reflects every #DB to the guest) — the guest must see the same thing.
// Expectations are written in each test from the manuals; this file only runs and formats.

import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../../src/config/config.js';
import { Machine } from '../../../src/machine/index.js';
import { hltForeverDetail } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';
import { parseSerial, type GuestRun } from '../code64/harness.js';

export {
  DR6_B0, DR6_B1, DR6_B2, DR6_B3, DR6_BD, DR6_BLD, DR6_BS, DR6_INIT, DR7_INIT, DR7_GD, VEC_BP, VEC_DB, VEC_GP, VEC_UD,
  DR7_RW_IO, DR7_RW_WRITE, atCpl, dr7Local, expectRun, hex64, marks, VENDORS, type Expect, type GuestRun,
} from '../code64/harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MAX_INSNS = 5_000_000;

// Selectors of test/guest-src/debug32/rt32.inc (its own GDT).
export const CS32_KERNEL = 0x08;
export const CS32_USER = 0x1b;
// Selectors of the compat-* guests (test/guest-src/debug32/compat64.inc's GDT).
export const CS64_KERNEL = 0x08;
export const CS_COMPAT_KERNEL = 0x18;
export const CS_COMPAT_USER = 0x23;

export const MODES = ['bare', 'kvm'] as const;
export type RunMode = (typeof MODES)[number];

const built = new Set<string>();
/** build/guests/debug32/<scenario>.elf, (re)built by scripts/build-guests.mjs (a no-op when up to date). */
export function guestElf(scenario: string): string {
  const name = `debug32/${scenario}`;
  if (!built.has(name)) {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-guests.mjs'), '--quiet', name], { cwd: ROOT, stdio: 'pipe' });
    built.add(name);
  }
  return join(ROOT, 'build/guests', `${name}.elf`);
}

/** Run a scenario to its end in bare mode (CPU alone) or kvm mode (default KVM/QEMU model, no debugger). */
export async function runGuest32(scenario: string, mode: RunMode, config: Record<string, unknown> = {}): Promise<GuestRun> {
  const machine = Machine.fromFile(guestElf(scenario), { config: parseConfig({ ...config, mode }) });
  if (mode === 'bare') {
    const result = await machine.runToCompletion({ maxInsns: MAX_INSNS });
    return parseSerial(machine, machine.serialOutput, result);
  }
  const vmm = new Vmm(machine);
  const r = await vmm.runToCompletion(MAX_INSNS);
  // The VMM's summary has no exit value: take the one the machine's isa-debug-exit device latched.
  const v = r.result;
  const result: GuestRun['result'] =
    v.kind === 'exit' ? { ...v, value: machine.exitValue! } : v.kind === 'hlt' ? { kind: 'hlt-forever', detail: hltForeverDetail(machine.cpu) } : v;
  return parseSerial(machine, machine.serialOutput, result);
}
