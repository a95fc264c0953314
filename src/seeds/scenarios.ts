// The seed scenarios `dbstub seed <id>` runs: for each seed (the five mailing-list posts summarised in
// examples/seeds/README.md), the guest of examples/seeds/<id>/, the gdb commands of each scenario and the
// configurations it is run in (the seed's switch off and on; both vendors where they differ). The unlucky rows of
// issue 19 are here on purpose: the cases where the switch decides what the guest or gdb sees.

import type { MachineConfig } from '../config/config.js';
import type { GdbStep } from './driver.js';

export interface SeedColumn {
  label: string;
  cfg: Partial<MachineConfig>;
}

export interface SeedScenario {
  name: string;
  /** What is run, in one line. */
  title: string;
  elf: string;
  base: Partial<MachineConfig>;
  poke?: Record<string, bigint>;
  /** gdb commands (none: `dbstub run`, no debugger attached). */
  steps: GdbStep[];
  vendors: readonly ('intel' | 'amd')[];
  columns: SeedColumn[];
  /** Per vendor: why the switch cannot change this run (shown instead of "nothing"; the test asserts it). */
  unchanged?: Partial<Record<'intel' | 'amd', string>>;
}

export interface Seed {
  id: string;
  title: string;
  /** The flag the columns flip. */
  flag: string;
  scenarios: SeedScenario[];
}

const elf = (dir: string) => `build/guests/seeds/${dir}.elf`;
const routing = (r: MachineConfig['qemuDbRouting']): SeedColumn => ({ label: `--qemu-db-routing ${r}`, cfg: { qemuDbRouting: r } });
const flag = (name: string, key: keyof MachineConfig, v: boolean): SeedColumn => ({ label: `--${name} ${v}`, cfg: { [key]: v } });

export const SEEDS: readonly Seed[] = [
  {
    id: '000',
    title: 'QEMU kvm_handle_debug and the posted Bus Lock Detect patch',
    flag: 'qemu-db-routing',
    scenarios: [
      {
        name: 'hbreak-elsewhere',
        title: 'split lock at CPL3 (DEBUGCTL bit 2) while a gdb hbreak is armed elsewhere (on exit): the #DB exits to QEMU',
        elf: elf('000-bus-lock'),
        base: {},
        steps: [{ op: 'hbreak', at: 'exit' }, { op: 'continue' }, { op: 'delete', at: 'exit', kind: 'hbreak' }, { op: 'continue' }],
        vendors: ['amd', 'intel'],
        columns: [routing('pre-patch'), routing('bld-patch'), routing('corrected')],
      },
      {
        name: 'hbreak-stepi',
        title: 'gdb hbreak on the split-lock instruction, then stepi over it: the step exit carries BS and the bus lock',
        elf: elf('000-bus-lock'),
        base: {},
        steps: [{ op: 'hbreak', at: 'buslock_insn' }, { op: 'continue' }, { op: 'delete', at: 'buslock_insn', kind: 'hbreak' }, { op: 'stepi' }, { op: 'continue' }],
        vendors: ['amd', 'intel'],
        columns: [routing('pre-patch'), routing('bld-patch'), routing('corrected')],
        unchanged: {
          intel:
            'KVM loses BLD on VMX: the exit DR6 is exit qualification | 0xffff0ff0 (vmx.c handle_exception_nmi), so no QEMU routing can see the bus lock',
        },
      },
      {
        name: 'break-main',
        title: 'gdb `break main`, continue, stepi: a software breakpoint hit on a fresh vCPU (kvm_run dr6 still 0)',
        elf: elf('000-bus-lock'),
        base: {},
        steps: [{ op: 'break', at: 'main' }, { op: 'continue' }, { op: 'delete', at: 'main', kind: 'break' }, { op: 'stepi' }, { op: 'continue' }],
        vendors: ['intel'],
        columns: [routing('pre-patch'), routing('bld-patch'), routing('corrected')],
      },
    ],
  },
  {
    id: '001',
    title: 'KVM/SVM runs the guest with the host DEBUGCTL when LBR virtualization is off',
    flag: 'svm-zero-debugctl',
    scenarios: [
      {
        name: 'bus-lock-leak',
        title: 'host DEBUGCTL = 4 (BusLockTrap), guest CPUID without bus-lock detect, guest DEBUGCTL 0, split lock at CPL3',
        elf: elf('001-host-debugctl'),
        base: { hostDebugctl: 4, lbrv: false, busLockDetect: false },
        steps: [],
        vendors: ['amd'],
        columns: [flag('svm-zero-debugctl', 'svmZeroDebugctl', false), flag('svm-zero-debugctl', 'svmZeroDebugctl', true)],
      },
      {
        name: 'btf-leak',
        title: 'host DEBUGCTL = 2 (BTF), guest DEBUGCTL 0, guest sets TF over nop, nop, jmp, nop',
        elf: elf('001-host-debugctl'),
        base: { hostDebugctl: 2, lbrv: false },
        poke: { seed001_variant: 1n },
        steps: [],
        vendors: ['amd'],
        columns: [flag('svm-zero-debugctl', 'svmZeroDebugctl', false), flag('svm-zero-debugctl', 'svmZeroDebugctl', true)],
      },
    ],
  },
  {
    id: '002',
    title: 'KVM treats #DBs from its instruction emulator as fault-like (code breakpoint, DR7.GD)',
    flag: 'emulator-db-fault-like',
    scenarios: [
      {
        name: 'gd-emulator',
        title:
          'AMD without DecodeAssists (MOV DR goes through the emulator): guest DR7.GD set, gdb hbreak on the MOV DR and a second hbreak kept armed (on exit), stepi',
        elf: elf('002-rf'),
        base: { svmDecodeAssists: false },
        steps: [
          { op: 'hbreak', at: 'gd_insn' },
          { op: 'hbreak', at: 'exit' },
          { op: 'continue' },
          { op: 'delete', at: 'gd_insn', kind: 'hbreak' },
          { op: 'stepi' },
          { op: 'continue' },
          { op: 'delete', at: 'exit', kind: 'hbreak' },
          { op: 'continue' },
        ],
        vendors: ['amd'],
        columns: [flag('emulator-db-fault-like', 'emulatorDbFaultLike', false), flag('emulator-db-fault-like', 'emulatorDbFaultLike', true)],
      },
    ],
  },
  {
    id: '003',
    title: 'KVM/VMX merges GUEST_PENDING_DBG_EXCEPTIONS into the #DB it vectors (Aidan Khoury)',
    flag: 'vmx-merge-pending-dbg',
    scenarios: [
      {
        name: 'cpuid',
        title: 'DR0 watches the MOV SS operand, TF=1, mov (mem),%ss; cpuid (bare = silicon)',
        elf: elf('003-movss-merge'),
        base: {},
        steps: [],
        vendors: ['intel'],
        columns: [{ label: 'bare (silicon)', cfg: { mode: 'bare' } }, flag('vmx-merge-pending-dbg', 'vmxMergePendingDbg', false), flag('vmx-merge-pending-dbg', 'vmxMergePendingDbg', true)],
      },
      {
        name: 'icebp',
        title: 'DR0 watches the MOV SS operand, TF=1, mov (mem),%ss; icebp (bare = silicon)',
        elf: elf('003-movss-merge'),
        base: {},
        poke: { seed003_variant: 1n },
        steps: [],
        vendors: ['intel'],
        columns: [{ label: 'bare (silicon)', cfg: { mode: 'bare' } }, flag('vmx-merge-pending-dbg', 'vmxMergePendingDbg', false), flag('vmx-merge-pending-dbg', 'vmxMergePendingDbg', true)],
      },
    ],
  },
  {
    id: '004',
    title: 'DR6 fixed-1 bits: writing 0 to DR6 (KVM derives them from the guest CPUID since v5.13)',
    flag: 'dr6-fixed-from-cpuid',
    scenarios: [
      {
        name: 'emulated-mov-dr',
        title:
          'guest CPUID with bus-lock detect writes 0 to DR6 while gdb has a breakpoint armed (on exit): the MOV DR is intercepted and emulated, kvm_set_dr applies the fixed-1 bits',
        elf: elf('004-dr6-reset'),
        base: { busLockDetect: true },
        steps: [{ op: 'break', at: 'exit' }, { op: 'continue' }, { op: 'delete', at: 'exit', kind: 'break' }, { op: 'continue' }],
        vendors: ['intel'],
        columns: [flag('dr6-fixed-from-cpuid', 'dr6FixedFromCpuid', false), flag('dr6-fixed-from-cpuid', 'dr6FixedFromCpuid', true)],
      },
      {
        name: 'native-mov-dr',
        title: 'the same without a debugger: the guest owns the DRs after its first MOV DR, the write runs natively (kvm_set_dr is not reached)',
        elf: elf('004-dr6-reset'),
        base: { busLockDetect: true },
        steps: [],
        vendors: ['intel'],
        columns: [flag('dr6-fixed-from-cpuid', 'dr6FixedFromCpuid', false), flag('dr6-fixed-from-cpuid', 'dr6FixedFromCpuid', true)],
        unchanged: { intel: 'a native MOV to DR6 never reaches kvm_set_dr, so kvm_dr6_fixed does not apply (the CPU\'s own rule does)' },
      },
    ],
  },
];
