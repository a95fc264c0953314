// QEMU's `-kernel FILE` on the commands that load a guest (issue 16): `--kernel FILE` is the guest file given as a
// flag, so `dbstub run --kernel bzImage --initrd initramfs.cpio --append "console=ttyS0"` reads as QEMU's command
// line does. The file is then booted as QEMU boots a -kernel: a bzImage through the Linux boot protocol, a
// Multiboot kernel through Multiboot (--boot auto decides, docs/boot.md). The flag is turned into the
// positional before the command line is parsed, so every path (yargs, serve's fast path) sees one guest.

import { CliError, EXIT } from './exit-codes.js';

/** Commands whose first positional is the guest file. */
const KERNEL_COMMANDS = new Set(['run', 'serve', 'session']);

export const KERNEL_FLAG_HELP = 'the guest file, as QEMU -kernel FILE: a bzImage boots through the Linux boot protocol, a Multiboot kernel through Multiboot (instead of the GUEST argument)';

/** Move `--kernel FILE` / `--kernel=FILE` to the guest positional. `valueFlags`: the flags that take a value (their
 *  value is not a positional). A `--kernel` without its value is left for the parser to report. */
export function kernelAsPositional(args: readonly string[], valueFlags: ReadonlySet<string>): string[] {
  const command = args[0];
  if (command === undefined || !KERNEL_COMMANDS.has(command)) return [...args];
  const rest: string[] = [];
  let kernel: string | undefined;
  let positionals = 0;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      rest.push(...args.slice(i));
      positionals += args.length - i - 1;
      break;
    }
    const m = /^--kernel(?:=(.*))?$/.exec(a);
    if (m !== null) {
      const value = m[1] ?? args[i + 1];
      if (value === undefined || (m[1] === undefined && value.startsWith('-'))) {
        rest.push(a); // no value: the parser's "Not enough arguments" message
        continue;
      }
      if (kernel !== undefined) throw new CliError('--kernel given twice', EXIT.USAGE);
      kernel = value;
      if (m[1] === undefined) i++;
      continue;
    }
    rest.push(a);
    const flag = /^--([a-z0-9-]+)$/.exec(a);
    if (flag !== null) {
      if (valueFlags.has(flag[1]!) && i + 1 < args.length) rest.push(args[++i]!);
    } else if (!a.startsWith('-')) positionals++;
  }
  if (kernel === undefined) return [...args];
  // serve/run take the guest only; session takes the guest and a script.
  const allowed = command === 'session' ? 1 : 0;
  if (positionals > allowed) throw new CliError(`--kernel ${kernel} and a guest file: give the guest once (--kernel FILE or ${command} FILE)`, EXIT.USAGE);
  return [command, kernel, ...rest];
}
