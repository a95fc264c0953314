// Guest serial output on the terminal, written once per run slice instead of once per byte.
//
// The machine reports COM1 output byte by byte; a write per byte is a syscall per byte, and stdout/stderr on a
// pipe or file are synchronous in Node on Linux: a guest flooding its serial port (test/guest-src/hostile/
// serial-flood) made thousands of writes per slice, which delayed Ctrl-C and new clients by hundreds of ms
// under load (issue 18's 50 ms bound; docs/reliability.md). The bytes are gathered and written when the
// event loop turns, i.e. between slices, in the order the guest wrote them.

/** Bytes gathered before a write even within one slice (a guest printing megabytes in one slice). */
const MAX_PENDING = 64 * 1024;

export interface SerialSink {
  (text: string): void;
  /** Write what is pending now (before the process writes its own text after the guest's, or exits). */
  flush(): void;
}

export function batchedSerial(write: (text: string) => void): SerialSink {
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    if (pending === '') return;
    const text = pending;
    pending = '';
    write(text);
  };
  const sink = ((text: string) => {
    pending += text;
    if (pending.length >= MAX_PENDING) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        flush();
      });
    }
  }) as SerialSink;
  sink.flush = flush;
  return sink;
}
