// Reserved bits in 4-level paging entries (SDM Vol. 3A 4.5 Tables 4-14..4-20, 4.7): bits above MAXPHYADDR (40) in
// any present entry and bits 20:13 of a 2-MByte PDE make the access #PF with P|RSVD (|W for a write); kvm-unit-tests
// x86/access.c "pde.13" wanted error code 0xf where dbstub gave 7, then executed the data page (#UD abort).
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';

const GUEST = 'build/guests/memory/rsvd-bits.elf';
const PFEC_P = 1, PFEC_W = 2, PFEC_RSVD = 8;
const hex = (n: number) => `0x${n.toString(16)}`;
const EXPECTED = [
  'pte-clean-read 0x0',
  `pte-bit45-read ${hex(PFEC_P | PFEC_RSVD)}`,
  `pte-bit45-write ${hex(PFEC_P | PFEC_W | PFEC_RSVD)}`,
  `pde-bit51-read ${hex(PFEC_P | PFEC_RSVD)}`,
  'pde-clean-read 0x0',
  'pde2m-clean-read 0x0',
  `pde2m-bit13-read ${hex(PFEC_P | PFEC_RSVD)}`,
  `pde2m-bit13-write ${hex(PFEC_P | PFEC_W | PFEC_RSVD)}`,
  `pdpte-bit40-read ${hex(PFEC_P | PFEC_RSVD)}`,
  'restored-read 0x0',
  'done',
  '',
].join('\n');

describe.each(['intel', 'amd'] as const)('reserved bits in paging entries (%s)', (vendor) => {
  it.each(['bare', 'kvm'] as const)('%s mode', async (mode) => {
    const m = Machine.fromFile(GUEST, { config: { mode, vendor } });
    const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
    expect(m.serialOutput).toBe(EXPECTED);
    expect(r).toMatchObject({ kind: 'exit', code: 1 });
  });
});
