// The loader's error classes, in a module of their own with no imports at run time: the CLI maps them to exit
// statuses (cli/main.ts classifyError) and is on `dbstub serve`'s path to its listening port, which must not
// load the loaders (they load the CPU's constants, and the CPU with them; docs/performance.md, "Start-up").
// Each loader re-exports its class, so `import { ElfError } from './elf.js'` keeps working.

import type { ElfErrorCode } from './elf.js';
import type { LinuxBootErrorCode } from './linux.js';
import type { MultibootErrorCode } from './multiboot.js';

export class ElfError extends Error {
  constructor(
    readonly code: ElfErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ElfError';
  }
}

export class MultibootError extends Error {
  constructor(
    readonly code: MultibootErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MultibootError';
  }
}

export class LinuxBootError extends Error {
  constructor(
    readonly code: LinuxBootErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LinuxBootError';
  }
}

/** A file dbstub refuses to read; `exitCode` is EX_NOINPUT (66) for a file that is not something to read,
 *  EX_DATAERR (65) for one whose size cannot be a valid input. */
export class InputFileError extends Error {
  constructor(
    message: string,
    readonly exitCode: 65 | 66,
  ) {
    super(message);
    this.name = 'InputFileError';
  }
}
