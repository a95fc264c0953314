// The bare board as a CpuHost: no hypervisor, so nothing is intercepted and every event goes through the
// guest IDT as on real hardware without virtualization.

import type { CpuHost } from './api.js';

export const hostBare: CpuHost = Object.freeze({
  interceptException: (): boolean => false,
  interceptInstruction: (): boolean => false,
  interceptTaskSwitch: (): void => {},
});
