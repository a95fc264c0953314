// The CPU's host contract (api.ts CpuHost, CpuObserver): one host decides intercepts and is never silently
// replaced; any number of observers watch, in the order they were added, and one that throws does not
// silence the others.
import { describe, expect, it } from 'vitest';
import { createCpu, createPhysicalMemory, type CpuHost, type CpuObserver, type DbEvent, type GuestCpu } from '../../../src/cpu/index.js';
import { parseConfig } from '../../../src/config/config.js';
import { KvmVcpu } from '../../../src/hv/index.js';
import { CODE, makeMachine, runToHlt, haltedVector } from '../support/harness.js';
import { ScriptedHost } from '../support/scripted-host.js';

function bareCpu(host?: CpuHost): GuestCpu {
  return createCpu({
    vendor: 'intel', features: { busLockDetect: false, rtm: false }, memory: createPhysicalMemory(1 << 20),
    io: { in: () => 0xffffffff, out: () => undefined }, ...(host && { host }),
  });
}

describe('CpuHost: one per CPU', () => {
  it('a host given at construction cannot be replaced', () => {
    const h = new ScriptedHost();
    const cpu = bareCpu(h);
    expect(cpu.host).toBe(h);
    expect(() => cpu.attachHost(new ScriptedHost())).toThrow(/one host/);
    expect(() => cpu.attachHost(h)).toThrow(/one host/);
    expect(cpu.host).toBe(h);
  });

  it('a CPU built for the bare board is taken over once; a second attach is an error', () => {
    const cpu = bareCpu();
    const bare = cpu.host;
    expect(bare.interceptInstruction('cpuid', 0n)).toBe(false);
    const h1 = new ScriptedHost();
    cpu.attachHost(h1);
    expect(cpu.host).toBe(h1);
    expect(() => cpu.attachHost(new ScriptedHost())).toThrow(/one host/);
    expect(() => cpu.attachHost(h1)).toThrow(/one host/);
    expect(() => cpu.attachHost(bare)).toThrow(/one host/);
    expect(cpu.host).toBe(h1);
  });

  it('a second KVM model over the same CPU is refused instead of replacing the first one\'s intercepts', () => {
    const cpu = bareCpu();
    const cfg = parseConfig({ mode: 'kvm' });
    const kvm = new KvmVcpu(cpu, cfg);
    expect(cpu.host).toBe(kvm);
    expect(() => new KvmVcpu(cpu, cfg)).toThrow(/one host/);
    expect(cpu.host).toBe(kvm);
  });

  it('the host decides instruction intercepts: CPUID stops with RIP on it, nothing executed', () => {
    const m = makeMachine();
    m.host.onInstruction = (kind) => kind === 'cpuid';
    m.load('mov $7, %eax\n cpuid\n hlt');
    const r = runToHlt(m);
    expect(r.kind).toBe('intercept');
    expect(r.kind === 'intercept' && r.what === 'instruction' && r.instruction).toBe('cpuid');
    expect(m.cpu.getGpr(0)).toBe(7n);
    expect(m.cpu.getRip()).toBe(BigInt(CODE + 5)); // on the CPUID (after the 5-byte MOV)
    expect(m.cpu.getGpr(3)).toBe(0n); // CPUID did not run (EBX untouched)
  });
});

describe('CpuObserver: a list, nothing replaced', () => {
  it('every observer sees every #DB and log line in order; a throwing one does not stop the next; removal works', () => {
    const m = makeMachine();
    const seen: string[] = [];
    const a: CpuObserver = { onDebugEvent: (ev: DbEvent) => void seen.push(`a:${ev.causes.join('+')}`) };
    const bad: CpuObserver = { onDebugEvent: () => { throw new Error('observer bug'); } };
    const b: CpuObserver = { onDebugEvent: (ev: DbEvent) => void seen.push(`b:${ev.causes.join('+')}`) };
    m.cpu.addObserver(a);
    const removeBad = m.cpu.addObserver(bad);
    const removeB = m.cpu.addObserver(b);
    // ICEBP (F1): a trap-like #DB through the guest's gate 1, which halts.
    m.load('.byte 0xf1\n hlt');
    runToHlt(m);
    expect(haltedVector(m)).toBe(1);
    expect(seen).toEqual(['a:icebp', 'b:icebp']);
    expect(m.logs.some((l) => l.event === 'hook-error' && /observer bug/.test(String(l.data.error)))).toBe(true);
    removeBad();
    removeB();
    seen.length = 0;
    const m2Logs = m.logs.length;
    m.cpu.setRip(BigInt(CODE));
    m.cpu.run(100);
    expect(seen).toEqual(['a:icebp']);
    expect(m.logs.length).toBe(m2Logs); // the removed observer is not called any more
  });
});
