// Large memory transfers through real gdb: `dump binary memory`, `restore` and `find` over more than 8 KiB.
// gdb sizes its m/X packets from our PacketSize (0x4000), so it reads 0x2000 bytes per `m` and writes up to a
// packet's worth per binary `X`; every one of them must be answered with data, not E22.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { watchGuest } from './guest.js';
import { gdbBatch, useRigs } from './rig.js';

/** Guest RAM the guest never touches (identity-mapped by the boot page tables, docs/boot.md). */
const SCRATCH = 0x400000n;

describe.each(['kvm', 'bare'] as const)('large memory transfers through real gdb, %s mode', (mode) => {
  const rig = useRigs();

  it('dump binary memory of 64 KiB matches guest memory, in 0x2000-byte m packets', async () => {
    const r = await rig(mode, watchGuest());
    r.vmm.pauseOnDetach = true; // guest memory is compared after gdb quits: keep the guest from running on
    const dir = mkdtempSync(join(tmpdir(), 'dbstub-mem-'));
    const file = join(dir, 'image.bin');
    const out = await gdbBatch(r, [`dump binary memory ${file} 0x100000 0x110000`], { debugRemote: true });
    const dumped = readFileSync(file);
    expect(dumped.length).toBe(0x10000);
    expect(Buffer.from(r.vmm.readMemory(0x100000n, 0x10000)!).equals(dumped)).toBe(true);
    expect(out).toMatch(/Sending packet: \$m10[0-9a-f]{4},2000#/);
    expect(out).not.toMatch(/Packet received: E22/);
  });

  it('restore of a 40 KiB file writes it all (binary X), and find locates a pattern 36 KiB in', async () => {
    const r = await rig(mode, watchGuest());
    r.vmm.pauseOnDetach = true; // guest memory is compared after gdb quits: keep the guest from running on
    const dir = mkdtempSync(join(tmpdir(), 'dbstub-mem-'));
    const file = join(dir, 'pattern.bin');
    const data = randomBytes(0xa000);
    const needle = Buffer.from('dbstub-needle-0123456789');
    needle.copy(data, 0x9000);
    writeFileSync(file, data);
    const out = await gdbBatch(r, [
      `restore ${file} binary 0x${SCRATCH.toString(16)}`,
      `find /b 0x${SCRATCH.toString(16)}, +0xa000, ${[...needle].map((c) => '0x' + c.toString(16)).join(', ')}`,
      `dump binary memory ${file}.back 0x${SCRATCH.toString(16)} 0x${(SCRATCH + 0xa000n).toString(16)}`,
    ]);
    expect(out).toMatch(/Restoring binary file .* into memory \(0x400000 to 0x40a000\)/);
    expect(Buffer.from(r.vmm.readMemory(SCRATCH, 0xa000)!).equals(data)).toBe(true);
    expect(out).toMatch(/^0x409000\n1 pattern found\./m);
    expect(readFileSync(`${file}.back`).equals(data)).toBe(true);
  });
});
