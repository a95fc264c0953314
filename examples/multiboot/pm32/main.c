/* pm32: an ELF32 Multiboot kernel that stays in 32-bit protected mode: its own GDT and 32-bit IDT,
 * #BP/#UD/#GP/#PF handled and returned from with IRETD, two-level paging (a 4 KiB page table, 4 MiB
 * PSE pages, an alias page, a read-only page under CR0.WP), the local APIC timer waking HLT, a
 * self-IPI, fw_cfg, the Multiboot info, and isa-debug-exit. Same COM1 transcript under
 * qemu-system-x86_64 -kernel and dbstub (test/multiboot). */
#include "../common/kernel.h"
#include "../common/expect.h"

#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_BEYOND_GDT 0x2b /* index 5, RPL 3: past the 3-entry GDT, so MOV to DS #GPs with error 0x28 */
#define DESC_CODE32 0x00cf9a000000ffffull /* base 0, limit 4 GiB, D=1, execute/read, DPL0 */
#define DESC_DATA32 0x00cf92000000ffffull
#define GATE_TYPE_INTERRUPT_32 0xe
#define GATE_PRESENT 0x80

/* Paging (SDM Vol. 3 4.3 (32-Bit Paging)). */
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)
#define PG_P 0x001
#define PG_RW 0x002
#define PG_US 0x004
#define PG_PWT 0x008
#define PG_PCD 0x010
#define PG_PS 0x080
#define PF_ERR_P 0x1
#define PF_ERR_W 0x2
#define PSE_PAGE (4u << 20)
#define IDENTITY_PSE_PDES 256   /* PDE 1..255: 4 MiB pages, the first GiB (RAM, modules, info) */
#define ALIAS_BASE 0xc0000000u  /* PDE 768 -> alias_pt: [0] -> alias_target, [1] not present, [2] read-only */
#define APIC_PDE (LAPIC_DEFAULT_BASE / PSE_PAGE)

struct frame {
  u32 edi, esi, ebp, esp_pushad, ebx, edx, ecx, eax;
  u32 vector, error_code;
  u32 eip, cs, eflags;
};
struct idt_gate {
  u16 offset_lo, selector;
  u8 zero, type_attr;
  u16 offset_hi;
} __attribute__((packed));
struct pseudo_desc {
  u16 limit;
  u32 base;
} __attribute__((packed));

static u64 gdt[3] __attribute__((aligned(8)));
static struct idt_gate idt[256] __attribute__((aligned(8)));
static u32 page_dir[1024] __attribute__((aligned(4096)));
static u32 low_pt[1024] __attribute__((aligned(4096)));
static u32 alias_pt[1024] __attribute__((aligned(4096)));
static volatile u32 alias_target[1024] __attribute__((aligned(4096)));
static volatile u32 readonly_target[1024] __attribute__((aligned(4096)));

extern const u32 isr_vectors_0_31[32];
extern char isr_64[], isr_65[], isr_255[];

static void set_gate(int vec, void *handler) {
  u32 a = (u32)(uptr)handler;
  idt[vec] = (struct idt_gate){(u16)a, SEL_KERNEL_CODE, 0, GATE_PRESENT | GATE_TYPE_INTERRUPT_32, (u16)(a >> 16)};
}

static void setup_descriptors(void) {
  gdt[0] = 0;
  gdt[1] = DESC_CODE32;
  gdt[2] = DESC_DATA32;
  struct pseudo_desc g = {sizeof gdt - 1, (u32)(uptr)gdt};
  __asm__ volatile("lgdt %0\n\t"
                   "ljmp %1, $1f\n"
                   "1:\n\t"
                   "mov %2, %%eax\n\t"
                   "mov %%eax, %%ds\n\tmov %%eax, %%es\n\tmov %%eax, %%ss\n\tmov %%eax, %%fs\n\tmov %%eax, %%gs"
                   :
                   : "m"(g), "i"(SEL_KERNEL_CODE), "i"(SEL_KERNEL_DATA)
                   : "eax", "memory");
  for (int v = 0; v < 32; v++) set_gate(v, (void *)(uptr)isr_vectors_0_31[v]);
  set_gate(TIMER_VECTOR, isr_64);
  set_gate(IPI_VECTOR, isr_65);
  set_gate(LAPIC_SPURIOUS_VECTOR, isr_255);
  struct pseudo_desc i = {sizeof idt - 1, (u32)(uptr)idt};
  __asm__ volatile("lidt %0" : : "m"(i));
  u16 cs, ds;
  __asm__ volatile("mov %%cs, %0; mov %%ds, %1" : "=r"(cs), "=r"(ds));
  puts("gdt: loaded cs=");
  put_hex(cs);
  puts(" ds=");
  put_hex(ds);
  puts("\nidt: loaded (32-bit interrupt gates)\n");
}

static void setup_paging(void) {
  for (u32 i = 0; i < 1024; i++) low_pt[i] = (i * PAGE_SIZE) | PG_P | PG_RW;
  page_dir[0] = (u32)(uptr)low_pt | PG_P | PG_RW;
  for (u32 i = 1; i < IDENTITY_PSE_PDES; i++) page_dir[i] = (i * PSE_PAGE) | PG_P | PG_RW | PG_PS;
  alias_pt[0] = (u32)(uptr)alias_target | PG_P | PG_RW;
  alias_pt[2] = (u32)(uptr)readonly_target | PG_P;
  page_dir[ALIAS_BASE / PSE_PAGE] = (u32)(uptr)alias_pt | PG_P | PG_RW;
  page_dir[APIC_PDE] = (APIC_PDE * PSE_PAGE) | PG_P | PG_RW | PG_PS | PG_PCD | PG_PWT;
  u32 cr0, cr4;
  __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_PSE));
  __asm__ volatile("mov %0, %%cr3" : : "r"((u32)(uptr)page_dir) : "memory");
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | CR0_PG | CR0_WP) : "memory");
  __asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
  puts("paging: cr0.pg=");
  put_dec(cr0 >> 31);
  puts(" cr0.wp=");
  put_dec((cr0 >> 16) & 1);
  puts(" cr4.pse=");
  put_dec((cr4 >> 4) & 1);
  puts(" cr4.pae=");
  put_dec((cr4 >> 5) & 1);
  puts("\n");
  /* The alias page and its physical page are the same memory. */
  volatile u32 *alias = (volatile u32 *)ALIAS_BASE;
  alias[3] = 0xa11a5;
  puts("paging: alias write seen at physical: ");
  puts(alias_target[3] == 0xa11a5 ? "yes" : "no");
  puts("\n");
}

static void frame_fields(const void *frame) {
  const struct frame *f = frame;
  puts(" cs=");
  put_hex(f->cs);
}

void isr_dispatch(struct frame *f) { f->eip = dispatch_vector(f->vector, f->error_code, f->eip, frame_fields, f); }

extern char pf_np_site[], pf_np_end[], pf_ro_site[], pf_ro_end[];

static __attribute__((noinline, noclone)) void page_faults(void) {
  /* Write to a not-present PTE: error P=0 W=1; then to a read-only PTE with CR0.WP=1: P=1 W=1. */
  arm(VEC_PF, pf_np_site, pf_np_end);
  __asm__ volatile(".globl pf_np_site\npf_np_site: movl $1, (%0)\n.globl pf_np_end\npf_np_end:"
                   : : "r"(ALIAS_BASE + PAGE_SIZE) : "memory");
  disarmed("#PF (not present) not taken");
  arm(VEC_PF, pf_ro_site, pf_ro_end);
  __asm__ volatile(".globl pf_ro_site\npf_ro_site: movl $1, (%0)\n.globl pf_ro_end\npf_ro_end:"
                   : : "r"(ALIAS_BASE + 2 * PAGE_SIZE) : "memory");
  disarmed("#PF (read-only) not taken");
  puts("paging: read-only page still reads ");
  put_hex(*(volatile u32 *)(ALIAS_BASE + 2 * PAGE_SIZE));
  puts("\n");
}

void kmain32(u32 magic, u32 info) {
  serial_init();
  u16 cs;
  u32 cr0;
  __asm__ volatile("mov %%cs, %0; mov %%cr0, %1" : "=r"(cs), "=r"(cr0));
  puts("pm32: 32-bit protected mode cr0.pe=");
  put_dec(cr0 & 1);
  puts(" cr0.pg=");
  put_dec(cr0 >> 31);
  puts("\n");
  print_mb_info(magic, (const struct mb_info *)(uptr)info);
  print_acpi();
  setup_descriptors();
  bp_ud_gp_exceptions(SEL_BEYOND_GDT, SEL_KERNEL_DATA);
  setup_paging();
  page_faults();
  probe_unused_port();
  pic_mask_all();
  lapic_enable();
  lapic_timer_tests();
  sti_shadow_test();
  self_ipi_test();
  print_fw_cfg();
  x2apic_test();
  puts("spurious: ");
  put_dec(spurious_count);
  puts("\npm32: done\n");
  debug_exit(EXIT_OK);
}
