// QEMU's monitor commands typed into gdb (`monitor info registers`, `x`/`xp`, `info mem`, `info tlb`,
// `info cpus`, `system_reset`, `help`) on the lm64 Multiboot kernel, stopped in its 64-bit kmain. Where
// qemu-system-x86_64 is installed, the same session against `qemu -S -gdb` must print the same text (QEMU 7.2),
// line for line; the one known difference is the CS descriptor cache's accessed bit (QEMU TCG caches the
// descriptor as read before it set the bit in memory; this CPU caches it with A set), which is left out.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runGdb } from './gdb-runner.js';
import { gdbBatch, printed, useRigs } from './rig.js';
import { hasQemu, KERNELS, QEMU } from '../multiboot/transcript.js';

const KERNEL = KERNELS.lm64;
const SESSION = [
  'hbreak kmain', 'continue',
  'monitor info registers',
  'monitor x /4xg $pc', 'monitor x /2xw 0x100000', 'monitor x /4c 0x100000', 'monitor x /2d 0x100000',
  'monitor x /2o 0x100000', 'monitor x 0x100000', 'monitor xp /2xg 0x100000', 'monitor x /20xb 0x100000',
  'monitor x /2xg 0xffffffff80000000',
  // QEMU's spelling without the space (HMP ends a command name at '/').
  'monitor x/3xw $pc', 'monitor xp/2xh 0x100000',
  'monitor gva2gpa $pc', 'monitor gva2gpa 0x100004', 'monitor gva2gpa 0xffffffff80000000',
  // Disassembly: 64-bit code at kmain; the 32-bit entry decoded as 64-bit (a 9-byte movabs continues on a
  // second line); physical; unmapped.
  'monitor x /20i $pc', 'monitor x /2i 0x100020', 'monitor xp /3i $pc', 'monitor x /1i 0x100000', 'monitor x /2i 0xffffffff80000000',
  'monitor info mem', 'monitor info tlb',
];
/** The monitor's text: everything between the stop at kmain and the end of the session. */
const monitorText = (out: string): string[] =>
  out.slice(out.indexOf('\nBreakpoint 1, kmain')).split('\n').slice(3).map((l) => l.replace(/\r$/, '')).filter((l) => l !== '' && !/^\[Inferior|^qemu-system/.test(l));

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('QEMU monitor commands through gdb (lm64 kernel, kvm mode)', () => {
  const rig = useRigs();

  it('info registers, x/xp, info mem/tlb, info cpus and help print what QEMU prints, from this machine', async () => {
    const r = await rig('kvm', KERNEL);
    const out = await gdbBatch(r, [...SESSION, 'monitor info cpus', 'monitor help']);
    const kmain = r.machine.symbol('kmain');
    const h16 = (v: bigint) => v.toString(16).padStart(16, '0');
    expect(out).toMatch(new RegExp(`^RIP=${h16(kmain)} RFL=[0-9a-f]{8} \\[[-DOSZAPC]{7}\\] CPL=0 II=0 A20=1 SMM=0 HLT=0$`, 'm'));
    expect(out).toMatch(/^CS =0008 0000000000000000 ffffffff 00af9b00 DPL=0 CS64 \[-RA\]$/m);
    const st = r.vmm.qemuCpuView().state;
    expect(out).toContain(`CR0=80010011 CR2=0000000000000000 CR3=${h16(st.cr3)} CR4=00000020`);
    expect(out).toContain('DR6=00000000ffff0ff0 DR7=0000000000000400\nEFER=0000000000000500\nFCW=037f FSW=0000 [ST=0] FTW=00 MXCSR=00001f80');
    expect(out).toMatch(/^XMM14=0{16} 0{16} XMM15=0{16} 0{16}$/m);
    const q = (a: bigint, n: number) => Buffer.from(r.vmm.readMemory(a, n)!);
    const code = q(kmain, 32);
    expect(out).toContain(`${h16(kmain)}: 0x${h16(code.readBigUInt64LE(0))} 0x${h16(code.readBigUInt64LE(8))}\n`);
    const mb = q(0x100000n, 16);
    expect(out).toContain(`0000000000100000: 0x${mb.readUInt32LE(0).toString(16).padStart(8, '0')} 0x${mb.readUInt32LE(4).toString(16).padStart(8, '0')}\n`);
    expect(out).toContain(`0000000000100000: 0x${h16(mb.readBigUInt64LE(0))} 0x${h16(mb.readBigUInt64LE(8))}\n`); // xp: identity-mapped
    expect(out).toContain("0000000000100000: '\\x02' '\\xb0' '\\xad' '\\x1b'"); // the Multiboot magic 0x1badb002
    expect(out).toContain('0000000000100000:  464367618'); // /2d: QEMU's %10d columns
    expect(out).toContain('0000000000100000: 03353330002     0200003\n0000000000100000: 03353330002\n'); // x reuses the last format
    expect(out).toContain('ffffffff80000000: Cannot access memory');
    const w32 = (i: number) => `0x${code.readUInt32LE(4 * i).toString(16).padStart(8, '0')}`;
    expect(out).toContain(`${h16(kmain)}: ${w32(0)} ${w32(1)} ${w32(2)}\n`); // x/3xw $pc
    expect(out).toContain('0000000000100000: 0xb002 0x1bad\n'); // xp/2xh: the Multiboot magic's halves
    expect(out).not.toContain('unknown monitor command');
    // gva2gpa: the lm64 kernel maps its low memory 1:1.
    expect(out).toContain(`gpa: 0x${kmain.toString(16)}\ngpa: 0x100004\nUnmapped\n`);
    // x /Ni: one line per instruction, its bytes read from this machine, AT&T mnemonics as QEMU's Capstone.
    const insnLines = out.match(/^0x[0-9a-f]{8}: {2}[0-9a-f ]{23} {2}\S.*$/gm) ?? [];
    expect(insnLines.length).toBeGreaterThanOrEqual(20 + 2 + 3 + 1);
    expect(insnLines[0]!.startsWith(`0x00${kmain.toString(16)}:  ${code[0]!.toString(16).padStart(2, '0')} `)).toBe(true);
    expect(out).toContain('0x00100020:  fa                       cli');
    expect(out).toContain('0x00100000:  02 b0 ad 1b 03 00        addb     0x31bad(%rax), %dh\n'); // the Multiboot header as code
    expect(out).toContain('0xffffffff80000000: unable to read memory\n');
    // The kernel identity-maps 4 GiB with 2 MiB pages (examples/multiboot/lm64/start.S).
    expect(out).toContain('0000000000000000-0000000100000000 0000000100000000 urw\n');
    expect(out.match(/^[0-9a-f]{16}: [0-9a-f]{16} [-X][-G]P[-D][-A][-C][-T]UW$/gm)).toHaveLength(2048);
    expect(out).toContain(`* CPU #0: thread_id=${process.pid}`);
    for (const c of ['info registers', 'x /fmt addr', 'xp /fmt addr', 'info tlb', 'gva2gpa addr', 'info mem', 'info cpus', 'system_reset', 'info dr', 'info db']) expect(out).toContain(`  ${c} `);
  });

  it('system_reset resets the machine and says how to refresh gdb’s register cache; after it gdb shows the entry', async () => {
    const r = await rig('kvm', KERNEL);
    const out = await gdbBatch(r, ['hbreak kmain', 'continue', 'p/x $pc', 'monitor system_reset', 'maintenance flush register-cache', 'p/x $pc', 'delete', 'continue']);
    const [before, after] = printed(out);
    expect(BigInt(before!)).toBe(r.machine.symbol('kmain'));
    expect(out).toContain('`maintenance flush register-cache` reloads them');
    expect(BigInt(after!)).toBe(r.machine.image.entry);
  });

  it.skipIf(!hasQemu)('QEMU 7.2 prints the same text for the same session (skips when qemu-system-x86_64 is not installed)', async () => {
    const r = await rig('kvm', KERNEL);
    const ours = monitorText(await gdbBatch(r, SESSION));
    const port = await new Promise<number>((res, rej) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
      });
    });
    const qemu = spawn(QEMU, ['-kernel', KERNEL, '-m', '64', '-display', 'none', '-serial', 'null', '-no-reboot', '-gdb', `tcp:127.0.0.1:${port}`, '-S'], { stdio: 'ignore' });
    cleanups.push(() => void qemu.kill('SIGKILL'));
    let theirs: string[] = [];
    for (let attempt = 0; attempt < 30; attempt++) {
      const res = await runGdb(port, SESSION, { file: KERNEL });
      const all = res.stdout + res.stderr;
      if (!/Connection refused/.test(all)) {
        theirs = monitorText(all);
        break;
      }
      await new Promise((res2) => setTimeout(res2, 100));
    }
    const noCs = (ls: string[]) => ls.filter((l) => !l.startsWith('CS ='));
    expect(theirs.length).toBeGreaterThan(2048); // info tlb alone prints 2048 lines
    expect(noCs(ours)).toEqual(noCs(theirs));
  });
});
