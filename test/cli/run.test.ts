// `dbstub run` routing summary: kvm mode (the default) runs through the Vmm and reports every #DB with
// its routing decision and the DR6 the guest saw; bare mode reports the CPU's own deliveries.
import { describe, expect, it } from 'vitest';
import { dbstub } from './cli-inproc.js';

const BUSLOCK = 'build/guests/seeds/000-bus-lock.elf';

describe('dbstub run: #DB routing summary', () => {
  it('kvm mode (default): the bus-lock #DB is decided by KVM and reinjected, guest DR6 shown', async () => {
    const r = await dbstub(['run', BUSLOCK, '--vendor', 'amd']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('guest #DB 1: at after buslock_insn dr6=0xffff07f0 rf=0 cpl=3');
    expect(r.stderr).toContain('dbstub: #DB routing (kvm mode, amd, qemu-db-routing=corrected, exception-payload=on): 1 decision(s)');
    expect(r.stderr).toContain('by outcome: guest 1');
    expect(r.stderr).toMatch(/#1 kvm exc=1 pc=0x[0-9a-f]+ payload=0x00000800 cap=on -> guest reinject\(vec=1 payload=0x00000800\) guest DR6=0xffff07f0 \[svm-db-intercept\]/);
  });

  it('kvm mode with no #DB still prints the (empty) routing line', async () => {
    const r = await dbstub(['run', 'build/guests/hello.elf', '--no-serial']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('#DB routing (kvm mode, intel, qemu-db-routing=corrected, exception-payload=on): 0 decision(s)');
  });

  it('bare mode keeps the direct Machine path and its summary', async () => {
    const r = await dbstub(['run', BUSLOCK, '--vendor', 'amd', '--mode', 'bare']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('1 #DB event(s) (bare mode: delivered to the guest IDT)');
    expect(r.stderr).toMatch(/trap \[bus-lock\] -> guest/);
    expect(r.stderr).not.toContain('kvm mode');
  });

  it('kvm mode: budget, triple fault and exit statuses are the same as bare', async () => {
    expect((await dbstub(['run', 'build/guests/crc.elf', '--max-insns', '1000'])).status).toBe(72);
    expect((await dbstub(['run', 'build/guests/crc.elf', '--mode', 'bare', '--max-insns', '1000'])).status).toBe(72);
    const t = await dbstub(['run', 'build/guests/triple.elf']);
    expect(t.status).toBe(71);
    expect(t.stderr).toMatch(/triple fault/);
  });
});

describe('--help', () => {
  for (const cmd of ['run', 'serve', 'session'])
    it(`${cmd} --help shows defaults, valid values and exit statuses`, async () => {
      const r = await dbstub([cmd, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('[choices: "pre-patch", "bld-patch", "corrected"]');
      expect(r.stdout).toMatch(/\[default:\s+corrected\]/);
      expect(r.stdout).toMatch(/log level \[default: (warn|info)\]/);
      expect(r.stdout).toMatch(/--log-format[\s\S]*\[choices: "pretty", "json"\]/);
      expect(r.stdout).toContain('Exit status:');
      expect(r.stdout).toMatch(/64 bad command line or\s+invalid\s+configuration/);
    });
});
