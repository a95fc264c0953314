// Fills the decoder's handler tables once per process: the 64-bit table and the shared one-byte/0F forms
// (ops.ts), the legacy-mode table (ops-legacy.ts), the system instructions that live with their
// semantics (system.ts) and the SSE family (sse-ops.ts). Kept apart from ops.ts so that no handler module imports another's installer.

import { installOps } from './ops.js';
import { installLegacyOps } from './ops-legacy.js';
import { installSystemOps } from './system.js';
import { installSseOps } from './sse-ops.js';

let installed = false;
export function installHandlers(): void {
  if (installed) return;
  installed = true;
  installOps();
  installLegacyOps();
  installSystemOps();
  installSseOps();
}
