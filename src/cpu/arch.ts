// Architectural constants, named as the Intel SDM / AMD APM name them. Everything that touches a
// control/debug register bit uses these names so a reader can check them against the manuals.

// ---- CR0 (SDM Vol. 3 2.5) ----
export const CR0_PE = 1 << 0;
export const CR0_MP = 1 << 1;
export const CR0_EM = 1 << 2;
export const CR0_TS = 1 << 3;
export const CR0_ET = 1 << 4;
export const CR0_NE = 1 << 5;
export const CR0_WP = 1 << 16;
export const CR0_AM = 1 << 18;
export const CR0_NW = 1 << 29;
export const CR0_CD = 1 << 30;
export const CR0_PG = 1 << 31; // note: negative as int32
/** CR0 value after power-on reset (SDM Vol. 3 10.1.1, Table 10-1): 0x60000010. */
export const CR0_RESET = 0x60000010;

// ---- CR4 (SDM Vol. 3 2.5) ----
export const CR4_VME = 1 << 0;
export const CR4_PVI = 1 << 1;
export const CR4_TSD = 1 << 2;
export const CR4_DE = 1 << 3;
export const CR4_PSE = 1 << 4;
export const CR4_PAE = 1 << 5;
export const CR4_MCE = 1 << 6;
export const CR4_PGE = 1 << 7;
export const CR4_PCE = 1 << 8;
export const CR4_OSFXSR = 1 << 9;
export const CR4_OSXMMEXCPT = 1 << 10;
export const CR4_UMIP = 1 << 11;
export const CR4_LA57 = 1 << 12;
export const CR4_FSGSBASE = 1 << 16;
export const CR4_PCIDE = 1 << 17;
export const CR4_OSXSAVE = 1 << 18;
export const CR4_SMEP = 1 << 20;
export const CR4_SMAP = 1 << 21;
/** Protection keys for user-mode pages (PKRU; SDM Vol. 3 4.6.2). */
export const CR4_PKE = 1 << 22;
/** Protection keys for supervisor-mode pages (IA32_PKRS; SDM Vol. 3 4.6.2). */
export const CR4_PKS = 1 << 24;
/** CR4 bits this CPU accepts; setting any other bit is #GP(0) (SDM Vol. 3 2.5, MOV CR). */
export const CR4_SUPPORTED = CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE |
  CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_UMIP | CR4_FSGSBASE | CR4_OSXSAVE | CR4_SMEP | CR4_SMAP |
  CR4_PKE | CR4_PKS;

// ---- EFER (MSR 0xC0000080) ----
export const EFER_SCE = 1 << 0;
export const EFER_LME = 1 << 8;
export const EFER_LMA = 1 << 10;
export const EFER_NXE = 1 << 11;
export const EFER_SUPPORTED = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;

// ---- RFLAGS (SDM Vol. 1 3.4.3) ----
export const RFLAGS_CF = 1 << 0;
export const RFLAGS_FIXED1 = 1 << 1; // always reads 1
export const RFLAGS_PF = 1 << 2;
export const RFLAGS_AF = 1 << 4;
export const RFLAGS_ZF = 1 << 6;
export const RFLAGS_SF = 1 << 7;
export const RFLAGS_TF = 1 << 8;
export const RFLAGS_IF = 1 << 9;
export const RFLAGS_DF = 1 << 10;
export const RFLAGS_OF = 1 << 11;
export const RFLAGS_IOPL = 3 << 12;
export const RFLAGS_IOPL_SHIFT = 12;
export const RFLAGS_NT = 1 << 14;
export const RFLAGS_RF = 1 << 16;
export const RFLAGS_VM = 1 << 17;
export const RFLAGS_AC = 1 << 18;
export const RFLAGS_VIF = 1 << 19;
export const RFLAGS_VIP = 1 << 20;
export const RFLAGS_ID = 1 << 21;
/** The six status flags kept lazily. */
export const RFLAGS_ARITH = RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF;
/** Bits that exist in RFLAGS on this CPU (everything else reads 0, bit 1 reads 1). */
export const RFLAGS_DEFINED = 0x3f7fd5;

// ---- MSR indices ----
export const MSR_IA32_TSC = 0x10;
/** IA32_TSC_ADJUST (SDM Vol. 3B 18.17.3), present when CPUID.(EAX=07H,ECX=0):EBX[1] is set. */
export const MSR_IA32_TSC_ADJUST = 0x3b;
export const MSR_IA32_TSC_DEADLINE = 0x6e0;
/** IA32_PKRS: the supervisor protection-key rights (SDM Vol. 4 Table 2-2; bits 63:32 reserved). */
export const MSR_IA32_PKRS = 0x6e1;
export const MSR_IA32_APIC_BASE = 0x1b;
export const MSR_IA32_SYSENTER_CS = 0x174;
export const MSR_IA32_SYSENTER_ESP = 0x175;
export const MSR_IA32_SYSENTER_EIP = 0x176;
export const MSR_IA32_DEBUGCTL = 0x1d9;
export const MSR_IA32_PAT = 0x277;
export const MSR_IA32_EFER = 0xc0000080;
export const MSR_IA32_STAR = 0xc0000081;
export const MSR_IA32_LSTAR = 0xc0000082;
export const MSR_IA32_CSTAR = 0xc0000083;
export const MSR_IA32_FMASK = 0xc0000084; // SFMASK
export const MSR_IA32_FS_BASE = 0xc0000100;
export const MSR_IA32_GS_BASE = 0xc0000101;
export const MSR_IA32_KERNEL_GS_BASE = 0xc0000102;
export const MSR_IA32_TSC_AUX = 0xc0000103;

// ---- IA32_DEBUGCTL bits (docs/semantics.md §1.3) ----
export const DEBUGCTL_LBR = 1 << 0;
export const DEBUGCTL_BTF = 1 << 1;
/** Intel BUS_LOCK_DETECT / AMD BLCKDB. Legal only with CPUID.(7,0):ECX[24]. */
export const DEBUGCTL_BUS_LOCK_DETECT = 1 << 2;
export const DEBUGCTL_TR = 1 << 6;
export const DEBUGCTL_BTS = 1 << 7;
export const DEBUGCTL_BTINT = 1 << 8;
export const DEBUGCTL_FREEZE_LBRS_ON_PMI = 1 << 11;
export const DEBUGCTL_FREEZE_PERFMON_ON_PMI = 1 << 12;
export const DEBUGCTL_FREEZE_WHILE_SMM = 1 << 14;
export const DEBUGCTL_RTM_DEBUG = 1 << 15;

// ---- DR6 / DR7: the fields and their rules live in the leaf module dr-fields.ts ----
export * from './dr-fields.js';

// ---- Exception vectors (SDM Vol. 3 6.3.1, Table 6-1) ----
export const VEC_DE = 0;
export const VEC_DB = 1;
export const VEC_NMI = 2;
export const VEC_BP = 3;
export const VEC_OF = 4;
export const VEC_BR = 5;
export const VEC_UD = 6;
export const VEC_NM = 7;
export const VEC_DF = 8;
export const VEC_TS = 10;
export const VEC_NP = 11;
export const VEC_SS = 12;
export const VEC_GP = 13;
export const VEC_PF = 14;
export const VEC_MF = 16;
export const VEC_AC = 17;
export const VEC_MC = 18;
export const VEC_XM = 19;
export const VEC_VE = 20;
export const VEC_CP = 21;
/** Vectors that push an error code (SDM Vol. 3 6.13). */
export const VECTORS_WITH_ERROR_CODE = (1 << VEC_DF) | (1 << VEC_TS) | (1 << VEC_NP) | (1 << VEC_SS) |
  (1 << VEC_GP) | (1 << VEC_PF) | (1 << VEC_AC) | (1 << VEC_CP);
/** Contributory exceptions for the double-fault rules (SDM Vol. 3 6.15, Table 6-4/6-5). */
export const CONTRIBUTORY = (1 << VEC_DE) | (1 << VEC_TS) | (1 << VEC_NP) | (1 << VEC_SS) | (1 << VEC_GP);

// ---- Page-table entry bits (SDM Vol. 3 4.5) ----
export const PTE_P = 1 << 0;
export const PTE_RW = 1 << 1;
export const PTE_US = 1 << 2;
export const PTE_PWT = 1 << 3;
export const PTE_PCD = 1 << 4;
export const PTE_A = 1 << 5;
export const PTE_D = 1 << 6;
export const PTE_PS = 1 << 7;
export const PTE_G = 1 << 8;
/** NX is bit 63, i.e. bit 31 of the high dword. */
export const PTE_HI_XD = 1 << 31;
/** Protection key: bits 62:59 of a leaf entry with 4-level paging (SDM Vol. 3 4.5, Table 4-19), i.e. bits
 *  30:27 of the high dword. */
export const PTE_HI_PKEY_SHIFT = 27;
/** Reserved bits of a present 4-level paging entry (SDM Vol. 3 4.5, Tables 4-14..4-20, 4.7 PFEC.RSVD): bits
 *  51:MAXPHYADDR, i.e. 51:40 here (CPUID 80000008H reports 40), bits 19:8 of the high dword. With PAE paging bits
 *  62:MAXPHYADDR (4.4.2): also 30:20 of the high dword. */
export const PTE_HI_RSVD_MAXPHYADDR = 0x000fff00;
export const PTE_HI_RSVD_PAE = 0x7fffff00;
/** Reserved bits of a PDE that maps a 2-MByte page (bits 20:13) and of a PDPTE that maps a 1-GByte page (29:13). */
export const PDE_2M_RSVD = 0x001fe000;
export const PDPTE_1G_RSVD = 0x3fffe000;
export const PTE_HI_PKEY_MASK = 0xf;

// ---- PKRU / IA32_PKRS: two bits per protection key i at bit 2i (SDM Vol. 3 4.6.2) ----
/** Access-disable: no data reads or writes through linear addresses with key i. */
export const PKR_AD = 1;
/** Write-disable: no data writes (for supervisor-mode accesses only when CR0.WP = 1). */
export const PKR_WD = 2;

// ---- #PF error code (SDM Vol. 3 6.15 "Interrupt 14") ----
export const PFEC_P = 1 << 0;
export const PFEC_WR = 1 << 1;
export const PFEC_US = 1 << 2;
export const PFEC_RSVD = 1 << 3;
export const PFEC_ID = 1 << 4;
/** The access violated the rights of its protection key (PKRU or IA32_PKRS). */
export const PFEC_PK = 1 << 5;

// ---- Descriptor attribute bits (api.ts SegmentState.attrs packing) ----
export const ATTR_TYPE_MASK = 0xf;
export const ATTR_S = 1 << 4;
export const ATTR_DPL_SHIFT = 5;
export const ATTR_P = 1 << 7;
export const ATTR_AVL = 1 << 8;
export const ATTR_L = 1 << 9;
export const ATTR_DB = 1 << 10;
export const ATTR_G = 1 << 11;

// ---- System descriptor / gate types (SDM Vol. 3 3.5, Table 3-2, IA-32e) ----
export const SYS_LDT = 0x2;
export const SYS_TSS64_AVAIL = 0x9;
export const SYS_TSS64_BUSY = 0xb;
export const SYS_CALL_GATE64 = 0xc;
export const SYS_INT_GATE64 = 0xe;
export const SYS_TRAP_GATE64 = 0xf;

// ---- CPUID bits reported ----
export const CPUID1_EDX_FPU = 1 << 0;
export const CPUID1_EDX_TSC = 1 << 4;
export const CPUID1_EDX_MSR = 1 << 5;
export const CPUID1_EDX_PAE = 1 << 6;
export const CPUID1_EDX_CX8 = 1 << 8;
export const CPUID1_EDX_APIC = 1 << 9;
export const CPUID1_EDX_SEP = 1 << 11;
export const CPUID1_EDX_PGE = 1 << 13;
export const CPUID1_EDX_CMOV = 1 << 15;
export const CPUID1_EDX_PAT = 1 << 16;
export const CPUID1_EDX_PSE = 1 << 3;
export const CPUID1_EDX_DE = 1 << 2;
export const CPUID1_EDX_CLFSH = 1 << 19;
/** MMX technology (mmx-state.ts): part of the x86-64 baseline, set by every Intel and AMD 64-bit part. */
export const CPUID1_EDX_MMX = 1 << 23;
export const CPUID1_EDX_FXSR = 1 << 24;
export const CPUID1_EDX_SSE = 1 << 25;
export const CPUID1_EDX_SSE2 = 1 << 26;
export const CPUID1_ECX_SSE3 = 1 << 0;
export const CPUID1_ECX_CX16 = 1 << 13;
export const CPUID1_ECX_X2APIC = 1 << 21;
export const CPUID1_ECX_POPCNT = 1 << 23;
export const CPUID1_ECX_TSC_DEADLINE = 1 << 24;
export const CPUID1_ECX_XSAVE = 1 << 26;
export const CPUID1_ECX_OSXSAVE = 1 << 27;
export const CPUID7_EBX_TSC_ADJUST = 1 << 1;
/** CLFLUSHOPT and CLWB (SDM Vol. 2A): executed as CLFLUSH is (ops.ts grp15). */
export const CPUID7_EBX_CLFLUSHOPT = 1 << 23;
export const CPUID7_EBX_CLWB = 1 << 24;
export const CPUID7_EBX_BMI1 = 1 << 3;
export const CPUID7_EBX_SMEP = 1 << 7;
export const CPUID7_EBX_SMAP = 1 << 20;
/** PKU: CR4.PKE, PKRU, RDPKRU/WRPKRU. */
/** UMIP: CR4.UMIP and its #GP for SGDT/SIDT/SLDT/SMSW/STR at CPL > 0 (SDM Vol. 3A 2.5). */
export const CPUID7_ECX_UMIP = 1 << 2;
export const CPUID7_ECX_PKU = 1 << 3;
/** OSPKE: reads CR4.PKE (SDM Vol. 2A CPUID). */
export const CPUID7_ECX_OSPKE = 1 << 4;
/** PKS: CR4.PKS and IA32_PKRS. */
export const CPUID7_ECX_PKS = 1 << 31;
export const CPUID7_EBX_RTM = 1 << 11;
export const CPUID7_ECX_BUS_LOCK_DETECT = 1 << 24;
/** RDPID (F3 0F C7 /7): reads IA32_TSC_AUX (SDM Vol. 2B RDPID). */
export const CPUID7_ECX_RDPID = 1 << 22;
export const CPUID81_EDX_SYSCALL = 1 << 11;
export const CPUID81_EDX_NX = 1 << 20;
export const CPUID81_EDX_LM = 1 << 29;
/** RDTSCP and IA32_TSC_AUX (SDM Vol. 2B RDTSCP). */
export const CPUID81_EDX_RDTSCP = 1 << 27;
/** CPUID Fn8000_0001_EDX bits that AMD defines as copies of Fn0000_0001_EDX (AMD APM Vol. 3 Appendix E,
 *  E.4.2: FPU..APIC, MTRR..PSE36, MMX, FXSR = bits 0-9, 12-17, 23-24; QEMU CPUID_EXT2_AMD_ALIASES). */
export const CPUID81_EDX_AMD_ALIASES = 0x0183f3ff;
export const CPUID81_ECX_LAHF = 1 << 0;
export const CPUID81_ECX_ABM = 1 << 5; // LZCNT

/** MXCSR bits a write may set (SDM Vol. 1 11.6.6): 0xFFFF, i.e. with DAZ (bit 6), as every CPU with SSE2 and
 *  QEMU's x86 model report in FXSAVE's MXCSR_MASK; a reserved bit set makes LDMXCSR/FXRSTOR #GP. */
export const MXCSR_MASK = 0xffff;
