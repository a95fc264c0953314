// Guest RAM above 2 GiB and 4 GiB, QEMU pc's PCI hole, and unbacked physical space (issue 15: a store
// above 2 GiB crashed the server with a RangeError; issue 18 item 7: PC open-bus semantics). The guest
// (test/guest-src/memory/high-ram) stores a qword at each probe address and reads it back; the expected
// value per --memory follows pc_piix's split (hw/i386/pc_piix.c pc_init1, QEMU 7.2): below 3.5 GiB all
// RAM sits from 0, from 3.5 GiB on 3 GiB sits below 4 GiB and the rest from 4 GiB up.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';
import { createLogger } from '../../../src/log.js';

const GUEST = 'build/guests/memory/high-ram.elf';
const ONES = 0xffffffffffffffffn;
const MiB = 1024 * 1024;

const PROBES: [name: string, addr: number, value: bigint][] = [
  ['low-2g', 0x80000000, 0x1122334455667788n],
  ['low-2.5g', 0x9ffffff0, 0x2233445566778899n],
  ['hole-3g', 0xc0000000, 0x33445566778899aan],
  ['hole-3.9g', 0xf0000000, 0x445566778899aabbn],
  ['high-4g', 0x100000000, 0x5566778899aabbccn],
  ['high-last', 0x13ffffff0, 0x66778899aabbccddn],
];

/** Is there RAM at `addr` on a pc machine with `mib` MiB? (independent of src/cpu/memory.ts) */
function backed(addr: number, mib: number): boolean {
  const size = mib * MiB;
  const low = size >= 0xe0000000 ? 0xc0000000 : size;
  return addr < low || (addr >= 2 ** 32 && addr < 2 ** 32 + (size - low));
}

function expected(mib: number): string {
  const hex64 = (v: bigint) => '0x' + v.toString(16).padStart(16, '0');
  const lines = PROBES.map(([name, addr, value]) => {
    const ok = backed(addr, mib);
    return `${name} ${hex64(BigInt(addr))} wrote ${hex64(value)} read ${hex64(ok ? value : ONES)} next32 ${ok ? '0x0' : '0xffffffff'}`;
  });
  lines.push(`recheck-2g ${hex64(backed(0x80000000, mib) ? PROBES[0]![2] : ONES)}`, 'done');
  return lines.join('\n') + '\n';
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'warn', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  return { logger, lines };
}

describe.each(['bare', 'kvm'] as const)('guest RAM layout (%s mode)', (mode) => {
  it.each([64, 2048, 2560, 3584, 4096])('--memory %i: RAM where pc has it, all ones and dropped writes elsewhere', async (mib) => {
    const { logger, lines } = capture();
    const m = Machine.fromFile(GUEST, { config: { mode, memoryMiB: mib }, logger });
    const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
    expect(m.serialOutput).toBe(expected(mib));
    expect(r).toMatchObject({ kind: 'exit', code: 1 });
    // Unbacked accesses are logged once per direction, never as an internal error.
    const unbacked = lines.filter((l) => l.cpuEvent === 'unbacked-phys');
    expect(unbacked.map((l) => l.dir).sort()).toEqual(['read', 'write']);
    expect(lines.filter((l) => l.cpuEvent === 'cpu-internal-error')).toEqual([]);
  });
});
