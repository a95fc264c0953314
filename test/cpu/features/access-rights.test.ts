// SMEP, SMAP (STAC/CLAC, implicit supervisor accesses), PKU (CR4.PKE, PKRU, RDPKRU/WRPKRU) and PKS (CR4.PKS,
// IA32_PKRS), and CR0.WP on a cached translation, as SDM Vol. 3 4.6.1-4.6.2 and 4.7 (#PF error code: I/D with SMEP, PK) define them; CPUID offers
// each because it is modelled (issue 15: kvm-unit-tests' smap, pku and pks were skipped). The guest
// (test/guest-src/platform/access-rights) prints one line per probe; every engine and mode must agree.
import { describe, expect, it } from 'vitest';
import { MODE_ENGINES, runGuestFile } from '../support/guest-run.js';

const GUEST = 'build/guests/platform/access-rights.elf';

const EXPECTED = `cpuid-smep 1
cpuid-smap 1
cpuid-pku 1
cpuid-ospke 0
cpuid-pks 1
smep-fetch-user pf 0x11
smep-fetch-supervisor ok
nosmep-fetch-user ok
smap-read-ac0 pf 0x1
smap-write-ac0 pf 0x3
smap-read-supervisor-ac0 ok
smap-read-ac1 ok
smap-read-ac1-again ok
smap-write-ac1 ok
smap-read-after-clac pf 0x1
smap-fetch-user ok
smap-implicit-ldt-ac1 pf 0x1
nosmap-implicit-ldt ok
nosmap-read-user ok
cpl3-stac ud
ro-read-supervisor ok
ro-write-supervisor-wp1 pf 0x3
ro-write-supervisor-wp0 ok
ro-write-supervisor-wp1-again pf 0x3
ro-value 0xb
rdpkru-pke0 ud
wrpkru-pke0 ud
cpuid-ospke-pke1 1
rdpkru 0x12345678 0x0
wrpkru-ecx gp
wrpkru-edx gp
rdpkru-ecx gp
pkru0-read-user ok
pkru-ad-read-user pf 0x21
pkru-ad-write-user pf 0x23
pkru-ad-read-supervisor ok
pkru-ad-write-supervisor ok
pkru-ad-fetch-user ok
cpl3-pkru-ad-read pf 0x25
pkru-other-key-read ok
pkru-wd-read-user ok
pkru-wd-write-user-wp1 pf 0x23
pkru-wd-write-user-wp0 ok
cpl3-pkru-wd-write pf 0x27
pke0-pkru-ad-read-user ok
pkrs 0x0
wrmsr-pkrs-high gp
pkrs0-read-supervisor ok
pkrs-ad-read-supervisor pf 0x21
pkrs-ad-write-supervisor pf 0x23
pkrs-ad-read-user ok
pkrs-ad-fetch-supervisor ok
pkrs-wd-read-supervisor ok
pkrs-wd-write-supervisor-wp1 pf 0x23
pkrs-wd-write-supervisor-wp0 ok
pks0-pkrs-ad-read-supervisor ok
pkrs 0x10
value 0x9
done
`;

describe.each(['intel', 'amd'] as const)('SMEP, SMAP, PKU, PKS (%s)', (vendor) => {
  it.each(MODE_ENGINES)('%s mode, %s', async (mode, engine) => {
    const { m, result: r } = await runGuestFile(GUEST, mode, engine, 5_000_000, vendor);
    expect(m.serialOutput).toBe(EXPECTED);
    expect(r).toMatchObject({ kind: 'exit', code: 1 });
  });
});
