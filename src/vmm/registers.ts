// The register file gdb sees: QEMU's i386:x86-64 layout (docs/protocol.md "Register file": core with fs_base/gs_base/k_gs_base
// and the control registers before st0, then SSE) plus a custom feature with the guest's debug registers.

import * as A from '../cpu/index.js';
import type { RegisterInfo } from '../gdbstub/index.js';

export const FEATURE_CORE = 'org.gnu.gdb.i386.core';
export const FEATURE_SSE = 'org.gnu.gdb.i386.sse';
export const FEATURE_DEBUG = 'org.dbstub.debug';

export type RegKind =
  | { k: 'gpr'; enc: number }
  | { k: 'rip' }
  | { k: 'eflags' }
  | { k: 'seg'; seg: number }
  | { k: 'state'; field: 'fsBase' | 'gsBase' | 'kernelGsBase' | 'cr0' | 'cr2' | 'cr3' | 'cr4' | 'cr8' | 'efer' }
  | { k: 'st'; n: number }
  | { k: 'x87'; field: X87Field }
  | { k: 'xmm'; n: number }
  | { k: 'mxcsr' }
  | { k: 'dr'; n: number }
  | { k: 'debugctl' };

export interface RegDef extends RegisterInfo {
  kind: RegKind;
}

const GPR_GDB_ORDER: [string, number][] = [
  ['rax', 0], ['rbx', 3], ['rcx', 1], ['rdx', 2], ['rsi', 6], ['rdi', 7], ['rbp', 5], ['rsp', 4],
  ['r8', 8], ['r9', 9], ['r10', 10], ['r11', 11], ['r12', 12], ['r13', 13], ['r14', 14], ['r15', 15],
];
// Seg encoding order: ES=0 CS=1 SS=2 DS=3 FS=4 GS=5; gdb order cs ss ds es fs gs.
const SEG_GDB_ORDER: [string, number][] = [['cs', 1], ['ss', 2], ['ds', 3], ['es', 0], ['fs', 4], ['gs', 5]];

/** x87 control registers in gdb's order and the X87Regs field each shows (ftag is the full tag word,
 *  two bits per register, not FXSAVE's abridged form). */
export type X87Field = 'fcw' | 'fsw' | 'ftw' | 'fcs' | 'fip' | 'fds' | 'fdp' | 'fop';
const X87_CONTROL: readonly (readonly [string, X87Field])[] = [
  ['fctrl', 'fcw'], ['fstat', 'fsw'], ['ftag', 'ftw'], ['fiseg', 'fcs'], ['fioff', 'fip'], ['foseg', 'fds'], ['fooff', 'fdp'], ['fop', 'fop'],
];

function build(): RegDef[] {
  const r: RegDef[] = [];
  const core = (name: string, bitsize: number, type: string, kind: RegKind, group?: string): void => {
    r.push({ name, bitsize, type, feature: FEATURE_CORE, kind, ...(group ? { group } : {}) });
  };
  for (const [n, enc] of GPR_GDB_ORDER) core(n, 64, n === 'rbp' || n === 'rsp' ? 'data_ptr' : 'int64', { k: 'gpr', enc });
  core('rip', 64, 'code_ptr', { k: 'rip' });
  core('eflags', 32, 'i386_eflags', { k: 'eflags' });
  for (const [n, seg] of SEG_GDB_ORDER) core(n, 32, 'int32', { k: 'seg', seg });
  core('fs_base', 64, 'int64', { k: 'state', field: 'fsBase' });
  core('gs_base', 64, 'int64', { k: 'state', field: 'gsBase' });
  core('k_gs_base', 64, 'int64', { k: 'state', field: 'kernelGsBase' });
  // Flag types as QEMU describes them, so gdb prints `[ PG WP ET PE ]` rather than a bare number.
  const crType = { cr0: 'i386_cr0', cr2: 'int64', cr3: 'i386_cr3', cr4: 'i386_cr4', cr8: 'int64', efer: 'i386_efer' } as const;
  for (const c of ['cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer'] as const) core(c, 64, crType[c], { k: 'state', field: c }, 'system');
  // The x87 state (src/cpu/x87.ts; gdb's amd64 architecture requires st0-7 and the eight control registers
  // in org.gnu.gdb.i386.core, i386_validate_tdesc_p): st<i> is ST(i), i.e. physical register (TOP + i) mod 8.
  for (let i = 0; i < 8; i++) core(`st${i}`, 80, 'i387_ext', { k: 'st', n: i }, 'float');
  for (const [n, field] of X87_CONTROL) core(n, 32, 'int', { k: 'x87', field }, 'float');
  for (let i = 0; i < 16; i++) r.push({ name: `xmm${i}`, bitsize: 128, type: 'vec128', feature: FEATURE_SSE, kind: { k: 'xmm', n: i }, group: 'vector' });
  r.push({ name: 'mxcsr', bitsize: 32, type: 'i386_mxcsr', feature: FEATURE_SSE, kind: { k: 'mxcsr' }, group: 'vector' });
  const drType = (n: number): string => (n === A.DR_STATUS ? 'dbstub_dr6' : n === A.DR_CONTROL ? 'dbstub_dr7' : 'data_ptr');
  for (const n of A.DR_NUMBERS) r.push({ name: `dr${n}`, bitsize: 64, type: drType(n), feature: FEATURE_DEBUG, kind: { k: 'dr', n }, group: 'system' });
  r.push({ name: 'debugctl', bitsize: 64, type: 'dbstub_debugctl', feature: FEATURE_DEBUG, kind: { k: 'debugctl' }, group: 'system' });
  return r;
}

export const REGISTERS: readonly RegDef[] = build();

/** The index of a register in gdb's order (the `p`/`P` number), by its tdesc name. */
export function registerIndex(name: string): number {
  const i = REGISTERS.findIndex((r) => r.name === name);
  if (i < 0) throw new Error(`no register named ${name}`);
  return i;
}

/** tdesc types gdb needs inside the SSE feature for `vec128`. */
/** A tdesc <flags> type: one-bit fields by name, multi-bit fields as [name, start, end]. */
function flagsType(id: string, size: number, fields: readonly (readonly [string, number, number?])[]): string {
  // Declared from the highest bit down, as QEMU's XML does: gdb prints the fields in declaration order.
  const f = [...fields].sort((x, y) => y[1] - x[1]).map(([name, start, end]) => `<field name="${name}" start="${start}" end="${end ?? start}"/>`).join('');
  return `<flags id="${id}" size="${size}">${f}</flags>`;
}

/** Bit names of RFLAGS, CR0, CR3, CR4 and EFER as the SDM names them (Vol. 1 3.4.3, Vol. 3 2.5, 2.2.1). */
const CORE_FLAG_TYPES = [
  flagsType('i386_eflags', 4, [['CF', 0], ['', 1], ['PF', 2], ['AF', 4], ['ZF', 6], ['SF', 7], ['TF', 8], ['IF', 9],
    ['DF', 10], ['OF', 11], ['IOPL', 12, 13], ['NT', 14], ['RF', 16], ['VM', 17], ['AC', 18], ['VIF', 19], ['VIP', 20], ['ID', 21]]),
  flagsType('i386_cr0', 8, [['PE', 0], ['MP', 1], ['EM', 2], ['TS', 3], ['ET', 4], ['NE', 5], ['WP', 16], ['AM', 18],
    ['NW', 29], ['CD', 30], ['PG', 31]]),
  flagsType('i386_cr3', 8, [['PWT', 3], ['PCD', 4], ['PDBR', 12, 63]]),
  flagsType('i386_cr4', 8, [['VME', 0], ['PVI', 1], ['TSD', 2], ['DE', 3], ['PSE', 4], ['PAE', 5], ['MCE', 6], ['PGE', 7],
    ['PCE', 8], ['OSFXSR', 9], ['OSXMMEXCPT', 10], ['UMIP', 11], ['LA57', 12], ['VMXE', 13], ['SMXE', 14], ['FSGSBASE', 16],
    ['PCIDE', 17], ['OSXSAVE', 18], ['SMEP', 20], ['SMAP', 21], ['PKE', 22]]),
  flagsType('i386_efer', 8, [['SCE', 0], ['LME', 8], ['LMA', 10], ['NXE', 11], ['SVME', 12], ['LMSLE', 13], ['FFXSR', 14], ['TCE', 15]]),
].join('');

/** Bit number of a one-bit architectural constant. */
const bit = (mask: number): number => 31 - Math.clz32(mask);

/** DR6, DR7 and IA32_DEBUGCTL as the SDM names their bits (Vol. 3B 19.2.3 Figure 19-1 for DR6 and DR7,
 *  Vol. 3B 19.4.1 / Vol. 4 Table 2-2 for DEBUGCTL), so `info registers dr6 dr7` decodes them. DR6's BLD and RTM
 *  are active-low (the flag shows while no bus lock / RTM event is reported); DR7 bit 10 is a reserved 1 and
 *  gets no name. DEBUGCTL lists the bits this CPU model can hold (system.ts debugctlValid); AMD's APM calls
 *  bit 2 Bus Lock Trap, Intel's BLD (bus-lock detect). */
const DEBUG_FLAG_TYPES = [
  flagsType('dbstub_dr6', 8, [['B0', bit(A.DR6_B0)], ['B1', bit(A.DR6_B1)], ['B2', bit(A.DR6_B2)], ['B3', bit(A.DR6_B3)],
    ['BLD', bit(A.DR6_BLD)], ['BD', bit(A.DR6_BD)], ['BS', bit(A.DR6_BS)], ['BT', bit(A.DR6_BT)], ['RTM', bit(A.DR6_RTM)]]),
  flagsType('dbstub_dr7', 8, [
    ...A.DR_NUMBERS.filter((n) => n < A.DR_COUNT).flatMap((n) => [
      [`L${n}`, bit(A.dr7L(n))],
      [`G${n}`, bit(A.dr7G(n))],
      [`RW${n}`, A.DR7_RW_SHIFT + 4 * n, A.DR7_RW_SHIFT + 4 * n + 1],
      [`LEN${n}`, A.DR7_LEN_SHIFT + 4 * n, A.DR7_LEN_SHIFT + 4 * n + 1],
    ] as const),
    ['LE', bit(A.DR7_LE)], ['GE', bit(A.DR7_GE)], ['RTM', bit(A.DR7_RTM)], ['GD', bit(A.DR7_GD)]]),
  flagsType('dbstub_debugctl', 8, [['LBR', bit(A.DEBUGCTL_LBR)], ['BTF', bit(A.DEBUGCTL_BTF)], ['BLD', bit(A.DEBUGCTL_BUS_LOCK_DETECT)],
    ['TR', bit(A.DEBUGCTL_TR)], ['BTS', bit(A.DEBUGCTL_BTS)], ['BTINT', bit(A.DEBUGCTL_BTINT)],
    ['FREEZE_LBRS_ON_PMI', bit(A.DEBUGCTL_FREEZE_LBRS_ON_PMI)], ['FREEZE_PERFMON_ON_PMI', bit(A.DEBUGCTL_FREEZE_PERFMON_ON_PMI)],
    ['FREEZE_WHILE_SMM', bit(A.DEBUGCTL_FREEZE_WHILE_SMM)], ['RTM_DEBUG', bit(A.DEBUGCTL_RTM_DEBUG)]]),
].join('');

/** MXCSR bits as the SDM names them (Vol. 1 10.2.3, Figure 10-3); RC is the two-bit rounding-control field. */
const MXCSR_TYPE = flagsType('i386_mxcsr', 4, [['IE', 0], ['DE', 1], ['ZE', 2], ['OE', 3], ['UE', 4], ['PE', 5], ['DAZ', 6],
  ['IM', 7], ['DM', 8], ['ZM', 9], ['OM', 10], ['UM', 11], ['PM', 12], ['RC', 13, 14], ['FZ', 15]]);

export const FEATURE_TYPES: Readonly<Record<string, string>> = {
  [FEATURE_CORE]: CORE_FLAG_TYPES,
  [FEATURE_DEBUG]: DEBUG_FLAG_TYPES,
  [FEATURE_SSE]: MXCSR_TYPE + [
    '<vector id="v4f" type="ieee_single" count="4"/>',
    '<vector id="v2d" type="ieee_double" count="2"/>',
    '<vector id="v16i8" type="int8" count="16"/>',
    '<vector id="v8i16" type="int16" count="8"/>',
    '<vector id="v4i32" type="int32" count="4"/>',
    '<vector id="v2i64" type="int64" count="2"/>',
    '<union id="vec128">',
    '<field name="v4_float" type="v4f"/>',
    '<field name="v2_double" type="v2d"/>',
    '<field name="v16_int8" type="v16i8"/>',
    '<field name="v8_int16" type="v8i16"/>',
    '<field name="v4_int32" type="v4i32"/>',
    '<field name="v2_int64" type="v2i64"/>',
    '<field name="uint128" type="uint128"/>',
    '</union>',
  ].join(''),
};
