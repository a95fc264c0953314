import { describe, expect, it } from 'vitest';
import {
  BOOT_GDT, BOOT_PML4, BOOT_RSP0_STACK_TOP, BOOT_STACK_TOP, BOOT_TSS, BOOT_STAR, buildBootEnvironment,
  SEL_KERNEL_CODE, SEL_KERNEL_DATA, SEL_TSS, SEL_USER_CODE, SEL_USER_DATA,
} from '../../src/loader/boot.js';
import { FakeMemory } from './fake-memory.js';

const MiB = 1024 * 1024;

/** Walk 4-level paging (SDM Vol. 3 4.5) in the test, independently of the loader's own constants. */
function walk(mem: FakeMemory, cr3: bigint, linear: bigint): { phys: bigint; us: boolean; rw: boolean } | undefined {
  const ADDR = 0x000ffffffffff000n;
  let table = cr3 & ADDR;
  let us = true;
  let rw = true;
  const shifts = [39n, 30n, 21n, 12n];
  for (let level = 0; level < 4; level++) {
    const idx = (linear >> shifts[level]) & 0x1ffn;
    const e = mem.u64(Number(table + idx * 8n));
    if ((e & 1n) === 0n) return undefined;
    us &&= (e & 4n) !== 0n;
    rw &&= (e & 2n) !== 0n;
    if (level >= 1 && level <= 2 && (e & 0x80n) !== 0n) {
      const size = 1n << shifts[level];
      return { phys: (e & ADDR & ~(size - 1n)) | (linear & (size - 1n)), us, rw };
    }
    table = e & ADDR;
  }
  return { phys: table | (linear & 0xfffn), us, rw };
}

function desc(mem: FakeMemory, sel: number) {
  const d = mem.u64(BOOT_GDT + (sel & ~7));
  const access = Number((d >> 40n) & 0xffn);
  const flags = Number((d >> 52n) & 0xfn);
  return { present: (access & 0x80) !== 0, dpl: (access >> 5) & 3, s: (access & 0x10) !== 0, type: access & 0xf, l: (flags & 2) !== 0, db: (flags & 4) !== 0 };
}

describe('boot environment', () => {
  const mem = new FakeMemory(64 * MiB);
  const boot = buildBootEnvironment(mem, 0x100000n);
  const s = boot.state;

  it('identity-maps the first 4 GiB, writable and user-accessible', () => {
    for (const a of [0n, 0x1000n, 0x100000n, 0x3fffff8n, 0x3fffffffn, 0x40000000n, 0xfffff000n, 0xffffffffn]) {
      const t = walk(mem, s.cr3, a);
      expect(t, `0x${a.toString(16)}`).toBeDefined();
      expect(t!.phys).toBe(a);
      expect(t!.us).toBe(true);
      expect(t!.rw).toBe(true);
    }
    expect(walk(mem, s.cr3, 0x100000000n)).toBeUndefined();
    expect(s.cr3).toBe(BigInt(BOOT_PML4));
  });

  it('puts the CPU in 64-bit long mode at CPL0 with interrupts off', () => {
    expect(s.cr0 & 1n).toBe(1n); // PE
    expect(s.cr0 >> 31n).toBe(1n); // PG
    expect(s.cr0 & (1n << 16n)).not.toBe(0n); // WP
    expect(s.cr4 & (1n << 5n)).not.toBe(0n); // PAE
    expect(s.efer & 0xd01n).toBe(0xd01n); // SCE LME LMA NXE
    expect(s.rflags).toBe(2n);
    expect(s.rip).toBe(0x100000n);
    expect(s.gpr[4]).toBe(BigInt(BOOT_STACK_TOP));
    expect(s.seg[1].selector).toBe(SEL_KERNEL_CODE);
    expect(s.seg[1].attrs & 0x200).toBe(0x200); // CS.L
    expect((s.seg[1].attrs >> 5) & 3).toBe(0); // DPL 0
    expect(s.seg[2].selector).toBe(SEL_KERNEL_DATA);
    expect(s.tr.selector).toBe(SEL_TSS);
    expect(s.gdtr.base).toBe(BigInt(BOOT_GDT));
  });

  it('has a GDT with kernel and user selectors laid out for SYSCALL/SYSRET', () => {
    expect(mem.u64(BOOT_GDT)).toBe(0n);
    expect(desc(mem, SEL_KERNEL_CODE)).toMatchObject({ present: true, dpl: 0, s: true, l: true });
    expect(desc(mem, SEL_KERNEL_CODE).type & 8).toBe(8); // code
    expect(desc(mem, SEL_KERNEL_DATA)).toMatchObject({ present: true, dpl: 0, s: true });
    expect(desc(mem, SEL_KERNEL_DATA).type & 0xa).toBe(2); // data, writable
    expect(desc(mem, SEL_USER_DATA)).toMatchObject({ present: true, dpl: 3, s: true });
    expect(desc(mem, SEL_USER_CODE)).toMatchObject({ present: true, dpl: 3, s: true, l: true });
    expect(SEL_USER_DATA & 3).toBe(3);
    expect(SEL_USER_CODE & 3).toBe(3);
    // SDM SYSCALL/SYSRET: kernel CS = STAR[47:32], SS = +8; SYSRET 64-bit CS = STAR[63:48]+16, SS = +8.
    const sysretBase = Number(BOOT_STAR >> 48n) & 0xfffc;
    expect(sysretBase + 8).toBe(SEL_USER_DATA & ~3);
    expect(sysretBase + 16).toBe(SEL_USER_CODE & ~3);
    expect(Number((BOOT_STAR >> 32n) & 0xffffn)).toBe(SEL_KERNEL_CODE);
    expect(Number((BOOT_STAR >> 32n) & 0xffffn) + 8).toBe(SEL_KERNEL_DATA);
  });

  it('has a 64-bit TSS whose RSP0 is a valid kernel stack', () => {
    const d = desc(mem, SEL_TSS);
    expect(d.present).toBe(true);
    expect(d.s).toBe(false);
    expect(d.type & 0x9).toBe(0x9); // 64-bit TSS (available 9 / busy B)
    const lo = mem.u64(BOOT_GDT + SEL_TSS);
    const base = Number(((lo >> 16n) & 0xffffffn) | (((lo >> 56n) & 0xffn) << 24n)) + Number(mem.u64(BOOT_GDT + SEL_TSS + 8) & 0xffffffffn) * 2 ** 32;
    expect(base).toBe(BOOT_TSS);
    const rsp0 = Number(new DataView(mem.u8.buffer).getBigUint64(BOOT_TSS + 4, true));
    expect(rsp0).toBe(BOOT_RSP0_STACK_TOP);
    expect(rsp0 % 16).toBe(0);
    expect(rsp0).not.toBe(BOOT_STACK_TOP); // never the stack the guest starts on
    expect(walk(mem, s.cr3, BigInt(rsp0 - 8))?.rw).toBe(true);
  });

  it('leaves the guest load area at 1 MiB untouched', () => {
    expect(mem.u8.subarray(0x90000, 2 * MiB).every((b) => b === 0)).toBe(true);
  });
});
