// The one machine configuration object (docs/architecture.md, src/config; docs/semantics.md §9 for the seed switches).
// Every behaviour switch lives here; the CLI, config files and the library API all produce a MachineConfig
// through parseConfig(), which rejects unknown keys and invalid values with a message naming the valid ones.

import type { CpuEngine, Vendor } from '../cpu/index.js';
import { JIT_THRESHOLD_DEFAULT, JIT_THRESHOLD_MAX } from '../cpu/constants.js';

export type Mode = 'bare' | 'kvm';
/** How the guest file is booted (docs/boot.md "Choosing the boot protocol"): auto = Multiboot when the
 *  file carries a valid Multiboot header in its first 8 KiB (as qemu-system-x86_64 -kernel would), else
 *  dbstub's 64-bit ELF boot environment. */
export type BootProtocol = 'auto' | 'multiboot' | 'elf64' | 'linux';
/** Seed 000: how QEMU's kvm_handle_debug routes a #DB. */
export const QEMU_DB_ROUTINGS = ['pre-patch', 'bld-patch', 'corrected'] as const;
export type QemuDbRouting = (typeof QEMU_DB_ROUTINGS)[number];

export interface MachineConfig {
  vendor: Vendor;
  /** CPUID-exposed features. */
  busLockDetect: boolean;
  rtm: boolean;
  /** Guest RAM in MiB. */
  memoryMiB: number;
  mode: Mode;
  /** kvm mode: host IA32_DEBUGCTL value in effect while the host runs (seed 001: a host with bus-lock trap has bit 2 set). */
  hostDebugctl: number;
  /** kvm mode, AMD: LBR virtualization (hardware swaps DEBUGCTL on VMRUN/#VMEXIT only when on). */
  lbrv: boolean;
  /** Seed 000. */
  qemuDbRouting: QemuDbRouting;
  /** Seed 001: KVM/SVM loads the guest DEBUGCTL before VMRUN when LBRV is off (fixed kernels). */
  svmZeroDebugctl: boolean;
  /** Seed 002: emulator-originated #DBs are fault-like (fixed kernels). false = the pre-fix behaviour. */
  emulatorDbFaultLike: boolean;
  /** Seed 003: merge VMX pending debug exceptions into the #DB payload (Aidan Khoury's patch). */
  vmxMergePendingDbg: boolean;
  /** Seed 004: DR6 fixed-1 bits follow the guest's CPUID (kvm_dr6_fixed, Linux v5.13+). false = KVM before bus-lock
   *  detect support (v5.12 and older): BLD is fixed to 1 for every guest, RTM still follows the CPUID. */
  dr6FixedFromCpuid: boolean;
  /** kvm mode, AMD: the SVM DecodeAssists feature (every AMD part since family 15h). Without it KVM emulates a guest
   *  MOV DR with its full instruction emulator (svm.c dr_interception -> emulate_on_interception), seed 002's path. */
  svmDecodeAssists: boolean;
  /** KVM_CAP_EXCEPTION_PAYLOAD enabled by the VMM. */
  exceptionPayload: boolean;
  /** Boot protocol for the guest file. */
  boot: BootProtocol;
  /** Kernel command line (QEMU -append); for Multiboot the kernel path is put in front of it, as QEMU does. */
  append: string;
  /** QEMU's -initrd: a Linux initramfs file, or Multiboot modules "file1 args,file2" ('' = none). */
  initrd: string;
  /** CPU execution engine: the interpreter, or the block compiler (same results, issue 14). */
  engine: CpuEngine;
  /** --engine jit: times an entry point is interpreted before the block compiler translates it. */
  jitThreshold: number;
}

/** The engine default: the block compiler (issue 14: same results, and since its translation threshold is 65535 a
 *  Linux boot runs as fast as interpreted while hot loops run 7-9x faster; docs/performance.md), or DBSTUB_ENGINE
 *  from the environment (interp|jit) so a test run or CI pass can put every machine on one engine. */
function defaultEngine(): CpuEngine {
  const e = typeof process !== 'undefined' ? process.env.DBSTUB_ENGINE : undefined;
  return e === 'interp' ? 'interp' : 'jit';
}

/** The block compiler's translation threshold (src/cpu/constants.ts JIT_THRESHOLD_DEFAULT says why it is high).
 *  DBSTUB_JIT_THRESHOLD from the environment sets the default: the CI pass under the block compiler uses a low one
 *  so that the short test guests run compiled code. */
function defaultJitThreshold(): number {
  const v = typeof process !== 'undefined' ? Number(process.env.DBSTUB_JIT_THRESHOLD) : NaN;
  return Number.isInteger(v) && v >= 1 && v <= JIT_THRESHOLD_MAX ? v : JIT_THRESHOLD_DEFAULT;
}

export const DEFAULT_CONFIG: Readonly<MachineConfig> = Object.freeze({
  vendor: 'intel',
  busLockDetect: true,
  rtm: false,
  memoryMiB: 64,
  mode: 'kvm',
  hostDebugctl: 0,
  lbrv: false,
  qemuDbRouting: 'corrected',
  svmZeroDebugctl: true,
  emulatorDbFaultLike: true,
  vmxMergePendingDbg: false,
  dr6FixedFromCpuid: true,
  svmDecodeAssists: true,
  exceptionPayload: true,
  boot: 'auto',
  append: '',
  initrd: '',
  engine: defaultEngine(),
  jitThreshold: defaultJitThreshold(),
});

type Kind = { type: 'enum'; values: readonly string[] } | { type: 'bool' } | { type: 'int'; min: number; max: number } | { type: 'string' };

/** Schema: key -> kind and one-line description (printed by --help and `monitor config`). */
export const CONFIG_SCHEMA: Record<keyof MachineConfig, Kind & { flag: string; doc: string }> = {
  vendor: { type: 'enum', values: ['intel', 'amd'], flag: 'vendor', doc: 'CPU vendor reported by CPUID and modelled by the debug unit and the hypervisor' },
  busLockDetect: { type: 'bool', flag: 'bus-lock-detect', doc: 'expose CPUID.(7,0):ECX[24] bus-lock detect / BUSLOCKTRAP to the guest' },
  rtm: { type: 'bool', flag: 'rtm', doc: 'expose CPUID.(7,0):EBX[11] RTM to the guest (DR6.RTM writable)' },
  memoryMiB: { type: 'int', min: 16, max: 4096, flag: 'memory', doc: 'guest RAM in MiB' },
  mode: { type: 'enum', values: ['bare', 'kvm'], flag: 'mode', doc: 'bare: no hypervisor; kvm: the KVM model and QEMU glue between gdb and the CPU' },
  hostDebugctl: { type: 'int', min: 0, max: 0xffff, flag: 'host-debugctl', doc: 'kvm mode: host IA32_DEBUGCTL (seed 001: 4 = host bus-lock trap on)' },
  lbrv: { type: 'bool', flag: 'lbrv', doc: 'kvm mode, AMD: LBR virtualization (hardware swaps DEBUGCTL)' },
  qemuDbRouting: { type: 'enum', values: QEMU_DB_ROUTINGS, flag: 'qemu-db-routing', doc: 'seed 000: QEMU kvm_handle_debug corrected (re-injects every cause gdb did not handle), before the BLD patch, or as posted' },
  svmZeroDebugctl: { type: 'bool', flag: 'svm-zero-debugctl', doc: 'seed 001: KVM loads the guest DEBUGCTL around VMRUN when LBRV is off' },
  emulatorDbFaultLike: { type: 'bool', flag: 'emulator-db-fault-like', doc: 'seed 002: #DBs from the KVM emulator are fault-like' },
  vmxMergePendingDbg: { type: 'bool', flag: 'vmx-merge-pending-dbg', doc: 'seed 003: merge VMX pending debug exceptions into the #DB payload' },
  dr6FixedFromCpuid: { type: 'bool', flag: 'dr6-fixed-from-cpuid', doc: 'seed 004: DR6 fixed-1 bits follow the guest CPUID (kvm_dr6_fixed, Linux 5.13+); false: BLD always 1 (older KVM)' },
  svmDecodeAssists: { type: 'bool', flag: 'svm-decode-assists', doc: 'kvm mode, AMD: DecodeAssists (false: guest MOV DR goes through the KVM emulator, seed 002)' },
  exceptionPayload: { type: 'bool', flag: 'exception-payload', doc: 'KVM_CAP_EXCEPTION_PAYLOAD enabled by the VMM' },
  boot: { type: 'enum', values: ['auto', 'multiboot', 'elf64', 'linux'], flag: 'boot', doc: 'boot protocol: auto = Linux for a bzImage ("HdrS" header), else Multiboot if the file has a Multiboot header in its first 8 KiB, else Linux through the PVH entry for an ELF with a Xen PHYS32_ENTRY note (a vmlinux), else the 64-bit ELF environment' },
  append: { type: 'string', flag: 'append', doc: 'kernel command line, as QEMU -append (Linux: the command line as given; Multiboot: QEMU puts the kernel path in front)' },
  initrd: { type: 'string', flag: 'initrd', doc: 'as QEMU -initrd: for Linux one initramfs file; for Multiboot the modules "file1 arg1 arg2,file2" (,, for a comma)' },
  engine: { type: 'enum', values: ['interp', 'jit', 'reference'], flag: 'engine', doc: 'CPU engine: interp interprets every instruction; jit compiles 64-bit code into JavaScript blocks (same results; the debug unit falls back to interp per instruction); reference is interp with every specialisation off (the differential tests\' oracle; slower)' },
  jitThreshold: { type: 'int', min: 1, max: JIT_THRESHOLD_MAX, flag: 'jit-threshold', doc: 'with --engine jit: executions of a code address before the block compiler translates the region starting there (default 65535, or DBSTUB_JIT_THRESHOLD; lower translates more code sooner, each translation costs ~1 ms of V8 compiling)' },
};

export class ConfigError extends Error {}

function coerce(key: keyof MachineConfig, raw: unknown): MachineConfig[keyof MachineConfig] {
  const k = CONFIG_SCHEMA[key];
  switch (k.type) {
    case 'enum':
      if (typeof raw !== 'string' || !k.values.includes(raw)) {
        throw new ConfigError(`invalid value ${JSON.stringify(raw)} for ${k.flag}; valid values: ${k.values.join(', ')}`);
      }
      return raw as MachineConfig[keyof MachineConfig];
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'on' || raw === '1') return true;
      if (raw === 'false' || raw === 'off' || raw === '0') return false;
      throw new ConfigError(`invalid value ${JSON.stringify(raw)} for ${k.flag}; valid values: true, false`);
    case 'string':
      if (typeof raw !== 'string') throw new ConfigError(`invalid value ${JSON.stringify(raw)} for ${k.flag}; valid values: a string`);
      return raw;
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < k.min || n > k.max) {
        throw new ConfigError(`invalid value ${JSON.stringify(raw)} for ${k.flag}; valid values: integers ${k.min}..${k.max}`);
      }
      return n;
    }
  }
}

const FLAG_TO_KEY = new Map(Object.entries(CONFIG_SCHEMA).map(([key, k]) => [k.flag, key as keyof MachineConfig]));

/** Build a validated config from a partial object whose keys are either camelCase keys or CLI flag names. */
export function parseConfig(partial: Record<string, unknown> = {}, base: Readonly<MachineConfig> = DEFAULT_CONFIG): MachineConfig {
  const out: MachineConfig = { ...base };
  for (const [name, raw] of Object.entries(partial)) {
    if (raw === undefined) continue;
    // Own schema keys only: `name in CONFIG_SCHEMA` also accepted Object.prototype members (__proto__,
    // constructor, toString...) from a config file (issue 18 item 11).
    const key = (Object.hasOwn(CONFIG_SCHEMA, name) ? name : FLAG_TO_KEY.get(name)) as keyof MachineConfig | undefined;
    if (!key) {
      throw new ConfigError(`unknown config key ${JSON.stringify(name)}; valid keys: ${Object.keys(CONFIG_SCHEMA).join(', ')}`);
    }
    (out as unknown as Record<string, unknown>)[key] = coerce(key, raw);
  }
  return out;
}

export function formatConfig(c: MachineConfig): string {
  return Object.entries(CONFIG_SCHEMA)
    .map(([key, k]) => {
      const v = (c as unknown as Record<string, unknown>)[key];
      return `${k.flag.padEnd(24)} ${(k.type === 'string' ? JSON.stringify(v) : String(v)).padEnd(10)} ${k.doc}`;
    })
    .join('\n');
}
