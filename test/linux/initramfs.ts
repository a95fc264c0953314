// The Linux tests' kernel and initramfs come from src/bench/linux-initramfs.ts, which `npm run linux` shares.
export type { SelftestResult } from '../../src/bench/linux-initramfs.js';
export { buildSelftestsInitramfs, debianKernel, hasCpio, haveSelftestSources, INIT_ELF, packInitramfs, selftestResults, SELFTESTS_64 } from '../../src/bench/linux-initramfs.js';
