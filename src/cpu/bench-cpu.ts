// Interpreter throughput check (not a test): node dist/cpu/bench-cpu.js
// Runs a tight integer loop in long mode and reports MIPS, idle and with four armed data breakpoints
// that never hit (the slow path then runs for every instruction and every data access).
import { createCpu, createPhysicalMemory } from './index.js';
import type { ArchState } from './api.js';

function machine(code: number[]) {
  const mem = createPhysicalMemory(4 << 20);
  const dv = new DataView(mem.u8.buffer);
  dv.setBigUint64(0x1000, 0x2007n, true);
  dv.setBigUint64(0x2000, 0x3007n, true);
  dv.setBigUint64(0x3000, 0x87n, true); // 2M identity page
  dv.setBigUint64(0x3008, 0x200087n, true);
  mem.writePhys(0x10000, new Uint8Array(code));
  const cpu = createCpu({ vendor: 'intel', features: { busLockDetect: true, rtm: false }, memory: mem, io: { in: () => 0, out: () => {} } });
  const seg = (selector: number, attrs: number) => ({ selector, base: 0n, limit: 0xffffffff, attrs });
  const st: ArchState = {
    gpr: new Array(16).fill(0n), rip: 0x10000n, rflags: 2n,
    seg: [seg(0x10, 0xc93), seg(0x08, 0xa9b), seg(0x10, 0xc93), seg(0x10, 0xc93), seg(0, 0), seg(0, 0)],
    gdtr: { base: 0n, limit: 0 }, idtr: { base: 0n, limit: 0 },
    tr: { selector: 0, base: 0n, limit: 0x67, attrs: 0x8b }, ldtr: { selector: 0, base: 0n, limit: 0, attrs: 0 },
    cr0: 0x80050033n, cr2: 0n, cr3: 0x1000n, cr4: 0x6a0n, cr8: 0n, efer: 0xd01n, fsBase: 0n, gsBase: 0n, kernelGsBase: 0n,
  };
  st.gpr[4] = 0x80000n;
  st.gpr[7] = 0x40000n;
  cpu.setState(st);
  return cpu;
}

// mov $N,%ecx; xor %eax,%eax; 1: mov (%rdi),%rbx; add %rcx,%rax; add %rbx,%rax; mov %rax,8(%rdi);
// inc %rbx; cmp $7,%rbx; dec %rcx; jnz 1b; hlt    (8 instructions per iteration)
const N = 3_000_000;
const code = [0xb9, N & 0xff, (N >> 8) & 0xff, (N >> 16) & 0xff, 0, 0x31, 0xc0,
  0x48, 0x8b, 0x1f, 0x48, 0x01, 0xc8, 0x48, 0x01, 0xd8, 0x48, 0x89, 0x47, 0x08,
  0x48, 0xff, 0xc3, 0x48, 0x83, 0xfb, 0x07, 0x48, 0xff, 0xc9, 0x75, 0xe6 - 0x100 + 256 - 0, 0xf4];
// fix the jnz displacement
const loopStart = 7, jnzEnd = code.length - 1;
code[jnzEnd - 1] = (loopStart - jnzEnd) & 0xff;

function measure(label: string, arm: boolean): void {
  const cpu = machine(code);
  if (arm) {
    for (let n = 0; n < 4; n++) cpu.setDr(n, BigInt(0x300000 + n * 64));
    // L0-L3, R/W=11 (read/write), LEN=8 bytes
    let dr7 = 0x400 | 0x55;
    for (let n = 0; n < 4; n++) dr7 |= (3 | (2 << 2)) << (16 + 4 * n);
    cpu.setDr(7, BigInt(dr7 >>> 0));
  }
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let r;
  do { r = cpu.run(1_000_000); } while (r.kind === 'budget');
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  // On a shared machine the wall-clock rate follows the load; the rate per second of this process's CPU
  // time moves much less and is the figure to compare between builds measured back to back.
  const c1 = process.cpuUsage(c0);
  const cpuS = (c1.user + c1.system) / 1e6;
  const n = cpu.instructionsRetired;
  console.log(`${label}: ${r.kind}, ${n} instructions in ${dt.toFixed(3)} s = ${(n / dt / 1e6).toFixed(1)} MIPS` +
    ` (${(n / cpuS / 1e6).toFixed(1)} per CPU second)`);
}
for (let k = 0; k < 2; k++) {
  measure('idle debug unit          ', false);
  measure('4 armed data breakpoints ', true);
}
