// `dbstub run GUEST.elf`: run a guest with no debugger to completion (or a budget), echo its serial
// output to stdout, summarize #DBs on stderr, and exit with the guest's isa-debug-exit status.
// kvm mode (the default) runs through the Vmm, so every #DB takes the KVM -> QEMU path and the summary
// says how each was routed (debugger / guest / both) and the DR6 the guest saw; bare mode runs the
// Machine directly (every #DB goes to the guest IDT).

import type { Argv } from 'yargs';
import { INTERNAL_ERROR_STOP, type DbEvent } from '../../cpu/index.js';
import { Machine, hltForeverDetail, type RunResult } from '../../machine/index.js';
import { EV, flushSuppressed } from '../../log.js';
import { Vmm, type RunSummary } from '../../vmm/index.js';
import { CliError, EXIT, shownValue } from '../exit-codes.js';
import { batchedSerial } from '../serial-out.js';
import { COMMON_EXIT_HELP, configFromArgv, withMachineOptions } from '../options.js';
import { loggerFromArgv } from '../log-args.js';
import type { CliCommand } from './index.js';
import { KERNEL_FLAG_HELP } from '../kernel-flag.js';

interface RunArgs {
  guest: string;
  'max-insns'?: number;
  serial: boolean;
  'success-code'?: number;
  progress?: boolean;
  [k: string]: unknown;
}

export const runCommand: CliCommand = {
  command: 'run <guest>',
  describe: 'run a guest ELF without a debugger until it exits through isa-debug-exit',
  builder: (y: Argv) =>
    withMachineOptions(
      y
        .positional('guest', { type: 'string', describe: 'guest: an ELF64 executable (linked at 1 MiB, see docs/boot.md) or a Multiboot kernel as for qemu-system-x86_64 -kernel (ELF32, or any file with the a.out kludge)', demandOption: true })
        .option('kernel', { type: 'string', describe: KERNEL_FLAG_HELP, requiresArg: true })
        .option('max-insns', { type: 'number', describe: `stop after this many instructions (exit status ${EXIT.BUDGET}) [default: no limit]`, requiresArg: true })
        .option('serial', { type: 'boolean', default: true, describe: 'echo guest serial output (COM1) to stdout; --no-serial to silence' })
        .option('success-code', { type: 'number', describe: 'exit with 0 when the guest exit status equals this (isa-debug-exit statuses are always odd) [default: none, the guest status is passed through]', requiresArg: true })
        .option('progress', { type: 'boolean', describe: 'show instructions retired and rate on stderr [default: on when stderr is a TTY]' })
        .epilog(
          `Exit status: the guest's isa-debug-exit status ((value << 1) | 1, mod 256), or 0 if it equals --success-code; 0 when the guest powers off through ACPI (S5); ` +
            `${EXIT.TRIPLE_FAULT} triple fault; ${EXIT.BUDGET} --max-insns ran out; ${EXIT.HLT_FOREVER} HLT with nothing to wake it; ${EXIT.UNSUPPORTED_MODE} the guest entered real-address or virtual-8086 mode (not modelled); ${EXIT.INTERRUPTED} Ctrl-C; ${COMMON_EXIT_HELP}`,
        ),
    ),
  handler: async (raw) => {
    const argv = raw as RunArgs;
    const config = configFromArgv(argv);
    const log = loggerFromArgv(argv);
    const maxInsns = argv['max-insns'];
    if (maxInsns !== undefined && (!Number.isSafeInteger(maxInsns) || maxInsns <= 0)) {
      throw new CliError(`--max-insns must be a positive integer, got ${shownValue(maxInsns)}`, EXIT.USAGE);
    }
    const successCode = argv['success-code'];
    if (successCode !== undefined && !Number.isSafeInteger(successCode)) {
      // A word here used to be NaN, which no status equals: the guest's status went through without a word.
      throw new CliError(`--success-code must be an integer, got ${shownValue(successCode)}`, EXIT.USAGE);
    }

    const dbEvents: DbEvent[] = [];
    const machine = Machine.fromFile(argv.guest, {
      config,
      logger: log,
      serialLogLevel: argv.serial ? 'debug' : 'info',
      observers: [{ onDebugEvent: (ev) => void (dbEvents.length < 100_000 && dbEvents.push(ev)) }],
    });
    const serial = batchedSerial((text) => void process.stdout.write(text));
    if (argv.serial) machine.onSerial(serial);

    // kvm mode: the VMM owns the run loop (each slice is a KVM_RUN); its routing table is the summary.
    const vmm = config.mode === 'kvm' ? new Vmm(machine, config, log) : undefined;
    let vmmSummary: RunSummary | undefined;
    const onSigint = () => machine.interrupt('SIGINT');
    process.on('SIGINT', onSigint);
    const showProgress = argv.progress ?? process.stderr.isTTY === true;
    const t0 = process.hrtime.bigint();
    let lastShown = 0;
    let result: RunResult;
    try {
      const onSlice = showProgress
        ? (n: number) => {
            const now = Date.now();
            if (now - lastShown < 500) return;
            lastShown = now;
            const s = Number(process.hrtime.bigint() - t0) / 1e9;
            process.stderr.write(`\r\x1b[K[dbstub] ${n.toLocaleString('en-US')} instructions, ${(n / s / 1e6).toFixed(1)} MIPS`);
          }
        : undefined;
      if (vmm) {
        vmmSummary = await vmm.runToCompletion(maxInsns ?? Infinity, { onSlice });
        result = resultFromVmm(vmmSummary, machine);
      } else {
        result = await machine.runToCompletion({ maxInsns, onSlice });
      }
    } finally {
      serial.flush();
      process.off('SIGINT', onSigint);
      if (showProgress && lastShown) process.stderr.write('\r\x1b[K');
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const insns = machine.cpu.instructionsRetired;
    if (argv.serial && machine.serialOutput && !machine.serialOutput.endsWith('\n')) process.stdout.write('\n');

    flushSuppressed(log);
    log.info({ event: EV.RUN_SUMMARY, result, instructions: insns, seconds, mips: insns / seconds / 1e6 }, 'run finished');
    if (vmm && vmmSummary) process.stderr.write(vmm.formatRunSummary(vmmSummary, 16));
    else if (dbEvents.length) process.stderr.write(summarizeDb(dbEvents));

    const stats = `${insns.toLocaleString('en-US')} instructions in ${seconds.toFixed(3)} s`;
    switch (result.kind) {
      case 'exit': {
        const status = result.code & 0xff;
        if (machine.poweredOff) {
          process.stderr.write(`dbstub: guest powered off (ACPI S5) -> status ${status} (${stats})\n`);
          process.exitCode = status;
          return;
        }
        process.stderr.write(`dbstub: guest exited: isa-debug-exit value ${result.value} -> status ${status} (${stats})\n`);
        process.exitCode = argv['success-code'] !== undefined && status === (argv['success-code'] & 0xff) ? 0 : status;
        return;
      }
      case 'triple-fault':
        process.stderr.write(`dbstub: guest triple fault: ${result.detail} (${stats})\n`);
        process.exitCode = EXIT.TRIPLE_FAULT;
        return;
      case 'budget':
        process.stderr.write(`dbstub: instruction budget exhausted (--max-insns ${maxInsns}); rip=0x${machine.cpu.getRip().toString(16)} (${stats})\n`);
        process.exitCode = EXIT.BUDGET;
        return;
      case 'hlt-forever':
        process.stderr.write(`dbstub: guest halted forever: ${result.detail}; rip=0x${machine.cpu.getRip().toString(16)} (${stats})\n`);
        process.exitCode = EXIT.HLT_FOREVER;
        return;
      case 'unsupported-mode':
        process.stderr.write(`dbstub: guest entered an unsupported CPU mode: ${result.detail}; rip=0x${machine.cpu.getRip().toString(16)} (${stats})\n`);
        process.exitCode = EXIT.UNSUPPORTED_MODE;
        return;
      case 'interrupted':
        if (result.why.startsWith(INTERNAL_ERROR_STOP)) {
          process.stderr.write(`dbstub: ${result.why}; rip=0x${machine.cpu.getRip().toString(16)} (${stats}; a dbstub bug: the log has the details)\n`);
          process.exitCode = EXIT.INTERNAL;
          return;
        }
        process.stderr.write(`dbstub: interrupted (${result.why}); rip=0x${machine.cpu.getRip().toString(16)} (${stats})\n`);
        process.exitCode = EXIT.INTERRUPTED;
        return;
    }
  },
};

/** The Vmm's run result in the Machine's RunResult shape (one switch below prints both). */
function resultFromVmm(s: RunSummary, machine: Machine): RunResult {
  const r = s.result;
  switch (r.kind) {
    case 'exit':
      return { kind: 'exit', code: r.code, value: machine.exitValue ?? r.code >> 1 };
    case 'hlt':
      return { kind: 'hlt-forever', detail: hltForeverDetail(machine.cpu) };
    case 'interrupted':
      // The Vmm reports a CPU stop it did not ask for as 'interrupted'; an unsupported mode is its own outcome.
      return machine.cpu.unsupportedMode !== '' ? machine.unsupportedResult() : r;
    default:
      return r;
  }
}

/** Bare run: every #DB goes straight to the guest IDT (no debugger, no hypervisor routing). */
function summarizeDb(events: DbEvent[]): string {
  const groups = new Map<string, number>();
  for (const e of events) {
    const key = `${e.kind} [${e.causes.join('+')}] -> ${e.intercepted ? 'intercepted' : 'guest'}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const lines = [`dbstub: ${events.length} #DB event(s) (bare mode: delivered to the guest IDT):`];
  for (const [k, n] of groups) lines.push(`  ${String(n).padStart(6)}  ${k}`);
  const shown = events.slice(0, 20).map(
    (e) => `  rip=0x${e.rip.toString(16)} cpl=${e.cpl} payload=0x${e.payload.toString(16)} dr6 0x${e.dr6Before.toString(16)} -> ${e.dr6After === undefined ? '(not written)' : '0x' + e.dr6After.toString(16)}`,
  );
  return [...lines, ...shown, events.length > 20 ? `  ... ${events.length - 20} more (see the db.event log at debug level)` : ''].filter(Boolean).join('\n') + '\n';
}
