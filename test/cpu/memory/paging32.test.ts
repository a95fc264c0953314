// Paging outside IA-32e mode: 32-bit two-level tables (4 KiB pages, 4 MiB pages with CR4.PSE) and PAE
// (PDPTE registers, 2 MiB pages, XD with EFER.NXE): translations, accessed/dirty bits, CR2 and #PF error
// codes (SDM Vol. 3 4.3, 4.4, 4.7, 4.8), and the PDPTE reserved-bit #GP of MOV CR3.
import { describe, expect, it } from 'vitest';
import { PT_AREA, makeSys, type Sys } from '../support/sys.js';

const PTE_P = 1, PTE_RW = 2, PTE_US = 4, PTE_A = 0x20, PTE_D = 0x40, PTE_PS = 0x80;
const PD = PT_AREA, PT = PT_AREA + 0x1000;

/** 32-bit paging: PDE 0 -> page table identity-mapping 0-4 MiB (supervisor RW), extra mappings by the test. */
function legacyTables(s: Sys): void {
  s.w32(PD, PT | PTE_P | PTE_RW | PTE_US);
  for (let k = 0; k < 1024; k++) s.w32(PT + k * 4, (k * 0x1000) | PTE_P | PTE_RW);
}

function enterPaging(s: Sys, cr4: number, cr3: number, cr0Extra = 0): void {
  const st = s.cpu.getState();
  st.cr4 = BigInt(cr4); st.cr3 = BigInt(cr3); st.cr0 = BigInt((0x80000011 | cr0Extra) >>> 0);
  s.cpu.setState(st);
}

describe('32-bit paging', () => {
  it('translates 4 KiB pages, sets A on both levels and D on the PTE of a write', () => {
    const s = makeSys();
    legacyTables(s);
    // Linear 0x00400000 (PDE 1) -> physical 0x00300000 through a second table.
    const PT2 = PT_AREA + 0x2000;
    s.w32(PD + 4, PT2 | PTE_P | PTE_RW);
    s.w32(PT2, 0x300000 | PTE_P | PTE_RW);
    s.w32(0x300010, 0xdeadbeef);
    enterPaging(s, 0, PD);
    s.load(`
.code32
  mov 0x400010, %eax
  movl $0x1234, 0x400020
  hlt`);
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.exc).toEqual([]);
    expect(s.cpu.getGpr(0)).toBe(0xdeadbeefn);
    expect(s.r32(0x300020)).toBe(0x1234);
    expect(s.r32(PD + 4) & (PTE_A | PTE_D)).toBe(PTE_A); // D is set only in the leaf
    expect(s.r32(PT2) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
    expect(s.cpu.translate(0x400abcn, false)).toBe(0x300abc);
  });

  it('maps 4 MiB pages with CR4.PSE (PSE-36 bits 20:13 give physical bits 39:32, here 0)', () => {
    const s = makeSys();
    legacyTables(s);
    s.w32(PD + 8 * 4, 0x00000000 | PTE_P | PTE_RW | PTE_PS); // 0x02000000-0x023fffff -> 0-4 MiB
    s.w32(0x12340, 0x5a5a5a5a);
    enterPaging(s, 0x10, PD);
    s.load(`
.code32
  mov 0x2012340, %ebx
  movl $7, 0x2012344
  hlt`);
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.exc).toEqual([]);
    expect(s.cpu.getGpr(3)).toBe(0x5a5a5a5an);
    expect(s.r32(0x12344)).toBe(7);
    expect(s.r32(PD + 32) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
    // The debugger's translation agrees with the guest's.
    expect(s.cpu.translate(0x2012340n, false)).toBe(0x12340);
  });

  it('#PF error codes and CR2: not present, write to read-only (CR0.WP), user access to a supervisor page', () => {
    const cases: { name: string; code: string; cpl3?: boolean; wp?: boolean; err: number; cr2: number }[] = [
      { name: 'not present read', code: 'mov 0x800004, %eax', err: 0, cr2: 0x800004 },
      { name: 'not present write', code: 'movl $1, 0x800008', err: 2, cr2: 0x800008 },
      { name: 'read-only write with WP', code: 'movl $1, 0x3ff000', wp: true, err: 3, cr2: 0x3ff000 },
      { name: 'user read of supervisor page', code: 'mov 0x3ff000, %eax', cpl3: true, err: 5, cr2: 0x3ff000 },
    ];
    for (const k of cases) {
      const s = makeSys({ cpl3: k.cpl3 });
      legacyTables(s);
      if (k.cpl3) {
        // User code and stack pages.
        s.w32(PD, PT | PTE_P | PTE_RW | PTE_US);
        for (const a of [0x10000, 0x6f000]) s.w32(PT + (a >>> 12) * 4, a | PTE_P | PTE_RW | PTE_US);
      }
      s.w32(PT + 0x3ff * 4, 0x3ff000 | PTE_P); // read-only supervisor page
      enterPaging(s, 0, PD, k.wp ? 0x10000 : 0);
      s.load(`.code32\n  ${k.code}\n  hlt`);
      expect(s.cpu.run(100).kind, k.name).toBe('intercept');
      expect(s.exc.map((e) => [e.vector, e.errorCode, e.cr2]), k.name).toEqual([[14, k.err, BigInt(k.cr2)]]);
    }
    // Without CR0.WP a supervisor write to a read-only page succeeds.
    const s = makeSys();
    legacyTables(s);
    s.w32(PT + 0x3ff * 4, 0x3ff000 | PTE_P);
    enterPaging(s, 0, PD);
    s.load('.code32\n  movl $9, 0x3ff000\n  hlt');
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.r32(0x3ff000)).toBe(9);
  });
});

describe('instruction fetch', () => {
  it('a #PF on the fetch pushes the RIP of the instruction that could not be fetched (the branch target)', () => {
    const s = makeSys();
    legacyTables(s);
    enterPaging(s, 0, PD);
    s.load('.code32\n  nop\n  mov $0x800000, %eax\n  jmp *%eax');
    expect(s.cpu.run(10).kind).toBe('intercept');
    expect(s.exc.map((e) => [e.vector, e.errorCode, e.rip, e.cr2])).toEqual([[14, 0, 0x800000n, 0x800000n]]);
  });

  it('running past the CS limit is #GP(0) at the first instruction that does not fit', () => {
    const s = makeSys({ state: (st) => { st.seg[1] = { ...st.seg[1]!, limit: 0x10005 }; } });
    // nop (0x10000), nop, mov $1,%eax (5 bytes at 0x10002: ends at 0x10006 > limit).
    s.load('.code32\n  nop\n  nop\n  mov $1, %eax\n  hlt');
    expect(s.cpu.run(10).kind).toBe('intercept');
    expect(s.exc.map((e) => [e.vector, e.errorCode, e.rip])).toEqual([[13, 0, 0x10002n]]);
    expect(s.cpu.instructionsRetired).toBe(2);
  });
});

describe('PAE paging outside IA-32e mode', () => {
  const PDPT = PT_AREA + 0x3000 + 0x20; // 32-byte aligned, not page aligned (CR3 bits 31:5)
  const PAE_PD = PT_AREA + 0x4000, PAE_PT = PT_AREA + 0x5000;

  /** From flat 32-bit protected mode to PAE paging with paeTables' PDPT: CR4.PAE, CR3, CR0.PG (SDM Vol. 3
   *  4.4; MOV to CR0 loads the PDPTE registers, 4.4.1). */
  const ENTER_PAE_PAGING = `.code32
  mov %cr4, %eax
  or $0x20, %eax                    # CR4.PAE
  mov %eax, %cr4
  mov $${PDPT}, %eax
  mov %eax, %cr3
  mov %cr0, %eax
  or $0x80000000, %eax              # CR0.PG
  mov %eax, %cr0`;

  function paeTables(s: Sys): void {
    s.w64(PDPT, BigInt(PAE_PD | PTE_P));
    s.w64(PAE_PD, BigInt(PAE_PT | PTE_P | PTE_RW));
    for (let k = 0; k < 512; k++) s.w64(PAE_PT + k * 8, BigInt((k * 0x1000) | PTE_P | PTE_RW));
    s.w64(PAE_PD + 8, BigInt(0x200000 | PTE_P | PTE_RW | PTE_PS)); // 2 MiB page identity
  }

  it('walks PDPTE -> PD -> PT and 2 MiB pages; PDPTEs are registers loaded at MOV CR3', () => {
    const s = makeSys();
    paeTables(s);
    // PDPTE 1 (linear 1 GiB) -> a PD whose entry 0 is a 2 MiB page at physical 0x200000.
    const PD1 = PT_AREA + 0x6000;
    s.w64(PDPT + 8, BigInt(PD1 | PTE_P));
    s.w64(PD1, BigInt(0x200000 | PTE_P | PTE_RW | PTE_PS));
    s.w32(0x200100, 0xcafef00d);
    s.load(`
${ENTER_PAE_PAGING}
  mov 0x40000100, %ebx
  movl $0, ${PDPT + 8}              # the PDPTE register keeps the old value until CR3 is reloaded
  invlpg 0x40000100
  mov 0x40000100, %ecx
  mov %cr3, %eax
  mov %eax, %cr3
  mov 0x40000100, %edx              # now #PF: PDPTE 1 not present
  hlt`);
    expect(s.cpu.run(200).kind).toBe('intercept');
    expect(s.cpu.getGpr(3)).toBe(0xcafef00dn);
    expect(s.cpu.getGpr(1)).toBe(0xcafef00dn);
    expect(s.exc.map((e) => [e.vector, e.errorCode, e.cr2])).toEqual([[14, 0, 0x40000100n]]);
    expect(s.r64(PD1) & BigInt(PTE_A)).toBe(BigInt(PTE_A));
  });

  it('execute-disable with EFER.NXE: fetch #PF has I/D set; XD without NXE is a reserved-bit fault', () => {
    for (const nxe of [true, false]) {
      const s = makeSys();
      paeTables(s);
      s.w64(PAE_PT + 0x20 * 8, BigInt(0x20000 | PTE_P | PTE_RW) | (1n << 63n)); // linear 0x20000: XD
      s.load('.code32\n  ret', 0x20000);
      const st = s.cpu.getState();
      st.cr4 = 0x20n; st.cr3 = BigInt(PDPT); st.cr0 = 0x80000011n; st.efer = nxe ? 0x800n : 0n;
      s.cpu.setState(st);
      s.load(`.code32\n  call 0x20000\n  hlt`);
      expect(s.cpu.run(100).kind).toBe('intercept');
      // NXE: present | instruction fetch; no NXE: present | reserved bit.
      expect(s.exc.map((e) => [e.vector, e.errorCode, e.cr2])).toEqual([[14, nxe ? 0x11 : 0x9, 0x20000n]]);
    }
  });

  it('MOV CR3 with a reserved bit in a present PDPTE is #GP(0) and leaves CR3 unchanged', () => {
    const s = makeSys();
    paeTables(s);
    const BAD = PT_AREA + 0x7000;
    s.w64(BAD, BigInt(PAE_PD | PTE_P | PTE_RW)); // R/W is reserved in a PAE PDPTE
    s.load(`
${ENTER_PAE_PAGING}
  mov $${BAD}, %eax
  mov %eax, %cr3
  hlt`);
    expect(s.cpu.run(100).kind).toBe('intercept');
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[13, 0]]);
    expect(s.cpu.getState().cr3).toBe(BigInt(PDPT));
  });
});
