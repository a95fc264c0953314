// Reading the files a user names (the guest, --initrd modules, --config) without trusting what they are.
// `dbstub run /dev/zero` grew to 10 GB reading an endless device, and a FIFO as the guest or as --config
// blocked forever waiting for a writer (issue 18 item 8). The file is opened non-blocking (a FIFO opens at
// once instead of waiting for a writer), checked with fstat on that descriptor (no race with a rename
// between the check and the read), refused unless it is a regular file no larger than its bound, then read.

import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { InputFileError } from './errors.js';

export { InputFileError };


function kindOf(st: import('node:fs').Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a directory';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of `path`, a regular file of at most `maxBytes`. `what` names it in messages ("guest",
 * "--config file", "--initrd module"); `why` says where the bound comes from. ENOENT/EACCES propagate as
 * the Node errors they are (the CLI maps them to 66 with the path).
 */
export function readInputFile(path: string, what: string, maxBytes: number, why: string): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InputFileError(`${what} ${path} is ${kindOf(st)}: dbstub reads only regular files`, 66);
    if (st.size > maxBytes) {
      throw new InputFileError(`${what} ${path} is ${st.size} bytes, more than ${why} (${maxBytes} bytes)`, 65);
    }
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
