// The documented boot environment (docs/boot.md): what the guest finds when it reaches its ELF entry.
// We build, in guest RAM below 1 MiB, the structures a 64-bit boot loader would have left behind:
// identity-mapped 4-level page tables, a GDT with kernel/user selectors laid out for SYSCALL/SYSRET,
// a 64-bit TSS, and stacks. Then the CPU's register state is set as if the loader had switched to
// long mode and jumped to the entry point (Intel SDM Vol. 3 10.8.5 "Initializing IA-32e Mode").

import type { ArchState, GuestCpu, PhysicalMemory, SegmentState } from '../cpu/index.js';

// ---- Memory map (physical = linear, identity mapped) ----
export const BOOT_PML4 = 0x1000;
export const BOOT_PDPT = 0x2000;
/** Four page directories (0x3000-0x6FFF), one per GiB, of 2 MiB pages. */
export const BOOT_PD = 0x3000;
export const BOOT_GDT = 0x7000;
export const BOOT_TSS = 0x7080;
/** IST1 stack (16 KiB): available to a guest that points an IDT gate at IST 1 (e.g. #DF, #DB). */
export const BOOT_IST1_STACK_BOTTOM = 0x6c000;
export const BOOT_IST1_STACK_TOP = 0x70000;
/** Kernel stack used on a CPL3 -> CPL0 transition (TSS.RSP0), 64 KiB. */
export const BOOT_RSP0_STACK_BOTTOM = 0x70000;
export const BOOT_RSP0_STACK_TOP = 0x80000;
/** Stack the guest runs on at its entry point (RSP), 64 KiB. */
export const BOOT_STACK_BOTTOM = 0x80000;
export const BOOT_STACK_TOP = 0x90000;
/** Everything in [BOOT_RESERVED_LOW, BOOT_RESERVED_HIGH) is the loader's; ELF segments may not overlap it. */
export const BOOT_RESERVED_LOW = 0x1000;
export const BOOT_RESERVED_HIGH = 0x90000;
/** Identity map covers 0..4 GiB. */
export const BOOT_IDENTITY_MAP_BYTES = 4 * 1024 * 1024 * 1024;

// ---- Selectors (GDT index << 3 | RPL) ----
export const SEL_KERNEL_CODE = 0x08;
export const SEL_KERNEL_DATA = 0x10;
/** User data must sit at STAR[63:48]+8 and user code at STAR[63:48]+16 for SYSRET (SDM Vol. 2B SYSRET). */
export const SEL_USER_DATA = 0x1b;
export const SEL_USER_CODE = 0x23;
export const SEL_TSS = 0x28;
/** IA32_STAR value matching this GDT: SYSCALL CS=0x08/SS=0x10, SYSRET CS=0x23/SS=0x1B (base 0x13). */
export const BOOT_STAR = (0x13n << 48n) | (BigInt(SEL_KERNEL_CODE) << 32n);

// ---- Architectural bits ----
// Paging-structure entry bits (SDM Vol. 3 4.5, Tables 4-15..4-20).
const PTE_P = 1n << 0n;
const PTE_RW = 1n << 1n;
const PTE_US = 1n << 2n;
const PTE_PS = 1n << 7n; // in a PDE: maps a 2 MiB page
// CR0 (SDM Vol. 3 2.5).
export const CR0_PE = 1n << 0n;
export const CR0_MP = 1n << 1n;
export const CR0_ET = 1n << 4n;
export const CR0_NE = 1n << 5n;
export const CR0_WP = 1n << 16n;
export const CR0_PG = 1n << 31n;
// CR4.
export const CR4_PAE = 1n << 5n;
// IA32_EFER (SDM Vol. 3 2.2.1).
export const EFER_SCE = 1n << 0n;
export const EFER_LME = 1n << 8n;
export const EFER_LMA = 1n << 10n;
export const EFER_NXE = 1n << 11n;
// RFLAGS bit 1 is reserved and always 1.
export const RFLAGS_FIXED = 0x2n;
export const MSR_STAR = 0xc0000081;

// Descriptor access bytes (SDM Vol. 3 3.4.5): P | DPL | S | type. Accessed bits are preset so the CPU
// never needs to write the GDT when loading a selector.
const ACC_P = 0x80;
const ACC_S = 0x10;
export const TYPE_CODE_XR_A = 0xb; // execute/read, accessed
export const TYPE_DATA_RW_A = 0x3; // read/write, accessed
const TYPE_TSS64_BUSY = 0xb; // 64-bit TSS, busy (TR is loaded, as after LTR)
// Flags nibble (descriptor byte 6 high half): G, D/B, L, AVL.
export const FL_G = 0x8;
export const FL_DB = 0x4;
export const FL_L = 0x2;

/** Packed attrs for SegmentState (api.ts): bits 0-3 type, 4 S, 5-6 DPL, 7 P, 8 AVL, 9 L, 10 D/B, 11 G. */
export function attrs(type: number, s: boolean, dpl: number, flags: number): number {
  // The flags nibble (G, D/B, L, AVL from bit 3 down) lands on attrs bits 11..8 unchanged.
  return type | (s ? 0x10 : 0) | (dpl << 5) | 0x80 | ((flags & 0xf) << 8);
}

export function segDesc(type: number, dpl: number, flags: number): bigint {
  // base 0, limit 0xFFFFF (x4 KiB with G) — base/limit are ignored for CS/DS in 64-bit mode but kept flat.
  const access = ACC_P | ACC_S | (dpl << 5) | type;
  return 0xffffn | (BigInt(access) << 40n) | (0xfn << 48n) | (BigInt(flags) << 52n);
}

function tssDesc(base: number, limit: number, type: number): [bigint, bigint] {
  const b = BigInt(base);
  const lo =
    BigInt(limit & 0xffff) |
    ((b & 0xffffffn) << 16n) |
    (BigInt(ACC_P | type) << 40n) |
    (BigInt((limit >> 16) & 0xf) << 48n) |
    (((b >> 24n) & 0xffn) << 56n);
  const hi = (b >> 32n) & 0xffffffffn;
  return [lo, hi];
}

const TSS64_SIZE = 104; // SDM Vol. 3 Figure 8-11
const TSS_RSP0 = 4;
const TSS_IST1 = 36;
const TSS_IOMAP_BASE = 102;

export interface BootInfo {
  entry: bigint;
  state: ArchState;
  /** IA32_STAR preset for SYSCALL/SYSRET. */
  star: bigint;
}

function u64le(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

/** Identity-map the first 4 GiB with 2 MiB pages at BOOT_PML4..BOOT_GDT: PML4[0] -> PDPT; PDPT[0..3] ->
 *  PD0..PD3; PDn[i] -> the 2 MiB page at n GiB + i * 2 MiB. Every level is present, writable and
 *  user-accessible so CPL3 code can run anywhere in the first 4 GiB. */
export function writeIdentityMap4G(memory: PhysicalMemory): void {
  const tables = new Uint8Array(BOOT_GDT - BOOT_PML4);
  const dv = new DataView(tables.buffer);
  const put = (phys: number, v: bigint) => dv.setBigUint64(phys - BOOT_PML4, v, true);
  const dirFlags = PTE_P | PTE_RW | PTE_US;
  put(BOOT_PML4, BigInt(BOOT_PDPT) | dirFlags);
  for (let g = 0; g < 4; g++) {
    const pd = BOOT_PD + g * 0x1000;
    put(BOOT_PDPT + g * 8, BigInt(pd) | dirFlags);
    for (let i = 0; i < 512; i++) {
      const page = BigInt(g) * 0x40000000n + BigInt(i) * 0x200000n;
      put(pd + i * 8, page | dirFlags | PTE_PS);
    }
  }
  memory.writePhys(BOOT_PML4, tables);
}

/** Write page tables, GDT and TSS into guest memory and return the entry register state. */
export function buildBootEnvironment(memory: PhysicalMemory, entry: bigint): BootInfo {
  if (memory.size < 2 * 1024 * 1024) throw new Error('guest memory too small for the boot environment');

  writeIdentityMap4G(memory);

  // GDT: null, kcode 0x08, kdata 0x10, udata 0x18(|3), ucode 0x20(|3), TSS 0x28 (16 bytes).
  const gdt: bigint[] = [
    0n,
    segDesc(TYPE_CODE_XR_A, 0, FL_G | FL_L),
    segDesc(TYPE_DATA_RW_A, 0, FL_G | FL_DB),
    segDesc(TYPE_DATA_RW_A, 3, FL_G | FL_DB),
    segDesc(TYPE_CODE_XR_A, 3, FL_G | FL_L),
    ...tssDesc(BOOT_TSS, TSS64_SIZE - 1, TYPE_TSS64_BUSY),
  ];
  const gdtBytes = new Uint8Array(gdt.length * 8);
  gdt.forEach((d, i) => gdtBytes.set(u64le(d), i * 8));
  memory.writePhys(BOOT_GDT, gdtBytes);

  const tss = new Uint8Array(TSS64_SIZE);
  const tv = new DataView(tss.buffer);
  tv.setBigUint64(TSS_RSP0, BigInt(BOOT_RSP0_STACK_TOP), true);
  tv.setBigUint64(TSS_IST1, BigInt(BOOT_IST1_STACK_TOP), true);
  // I/O map base beyond the limit: no I/O permission bitmap, so CPL3 IN/OUT need IOPL=3 (SDM Vol. 1 19.5.2).
  tv.setUint16(TSS_IOMAP_BASE, TSS64_SIZE, true);
  memory.writePhys(BOOT_TSS, tss);

  const flat = (selector: number, type: number, dpl: number, flags: number): SegmentState => ({
    selector,
    base: 0n,
    limit: 0xffffffff,
    attrs: attrs(type, true, dpl, flags),
  });
  const code = flat(SEL_KERNEL_CODE, TYPE_CODE_XR_A, 0, FL_G | FL_L);
  const data = () => flat(SEL_KERNEL_DATA, TYPE_DATA_RW_A, 0, FL_G | FL_DB);
  const state: ArchState = {
    gpr: new Array<bigint>(16).fill(0n),
    rip: entry,
    rflags: RFLAGS_FIXED, // IF=0: no interrupts until the guest has an IDT
    seg: [data(), code, data(), data(), data(), data()], // ES CS SS DS FS GS
    gdtr: { base: BigInt(BOOT_GDT), limit: gdtBytes.length - 1 },
    idtr: { base: 0n, limit: 0 }, // no IDT: an exception before the guest's LIDT escalates to a triple fault
    tr: { selector: SEL_TSS, base: BigInt(BOOT_TSS), limit: TSS64_SIZE - 1, attrs: TYPE_TSS64_BUSY | 0x80 },
    ldtr: { selector: 0, base: 0n, limit: 0, attrs: 0 },
    cr0: CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG,
    cr2: 0n,
    cr3: BigInt(BOOT_PML4),
    cr4: CR4_PAE,
    cr8: 0n,
    efer: EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE,
    fsBase: 0n,
    gsBase: 0n,
    kernelGsBase: 0n,
  };
  state.gpr[4] = BigInt(BOOT_STACK_TOP); // RSP (Gpr.RSP = 4)
  return { entry, state, star: BOOT_STAR };
}

/** Put the CPU in the boot state: architectural registers plus IA32_STAR. */
export function applyBootState(cpu: GuestCpu, boot: BootInfo): void {
  cpu.setState(boot.state);
  cpu.setMsr(MSR_STAR, boot.star);
}
