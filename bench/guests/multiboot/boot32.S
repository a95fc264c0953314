/* Multiboot (v1) entry for qemu-system-x86_64 -kernel: QEMU's Multiboot loader refuses ELF64, so the
 * image is a flat binary (objcopy -O binary) with the header's "a.out kludge" (flags bit 16) giving the
 * load addresses. The loader enters in 32-bit protected mode with paging off, EAX = 0x2BADB002 and
 * EBX = the Multiboot information structure (Multiboot Specification 0.6.96, section 3.2).
 * We build an identity map of the first 4 GiB with 2 MiB pages (the same map dbstub's boot environment
 * gives its guests), enable long mode (SDM Vol. 3 10.8.5: CR4.PAE, EFER.LME, CR0.PG) and call
 * mb_main(info) in 64-bit mode. */

#define MB_MAGIC 0x1BADB002
#define MB_FLAG_AOUT_KLUDGE (1 << 16)
#define CR0_PE (1 << 0)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define PTE_P 0x1
#define PTE_RW 0x2
#define PDE_PS 0x80

        .section .text.start, "ax"
        .code32
        .align  4
mb_header:
        .long   MB_MAGIC
        .long   MB_FLAG_AOUT_KLUDGE
        .long   -(MB_MAGIC + MB_FLAG_AOUT_KLUDGE)
        .long   mb_header               /* header_addr */
        .long   mb_header               /* load_addr: the image starts with this header */
        .long   _edata                  /* load_end_addr */
        .long   _end                    /* bss_end_addr (the loader zeroes the bss) */
        .long   start32                 /* entry_addr */

        .globl  start32
start32:
        cli
        mov     %ebx, %esi              /* keep the Multiboot info pointer */
        mov     $boot_stack_top, %esp
        /* 4 page directories: 2048 entries mapping 2 MiB each */
        mov     $pd, %edi
        xor     %ecx, %ecx
1:      mov     %ecx, %eax
        shl     $21, %eax
        or      $(PTE_P | PTE_RW | PDE_PS), %eax
        mov     %eax, (%edi,%ecx,8)
        mov     %ecx, %eax
        shr     $11, %eax               /* bits 32+ of the physical address: i >> 11 */
        mov     %eax, 4(%edi,%ecx,8)
        inc     %ecx
        cmp     $2048, %ecx
        jne     1b
        /* PDPT entries 0-3 -> the page directories; PML4[0] -> PDPT */
        xor     %ecx, %ecx
2:      mov     %ecx, %eax
        shl     $12, %eax
        add     $pd, %eax
        or      $(PTE_P | PTE_RW), %eax
        mov     %eax, pdpt(,%ecx,8)
        movl    $0, pdpt+4(,%ecx,8)
        inc     %ecx
        cmp     $4, %ecx
        jne     2b
        mov     $pdpt, %eax
        or      $(PTE_P | PTE_RW), %eax
        mov     %eax, pml4
        movl    $0, pml4+4
        mov     $pml4, %eax
        mov     %eax, %cr3
        mov     %cr4, %eax
        or      $CR4_PAE, %eax
        mov     %eax, %cr4
        mov     $MSR_EFER, %ecx
        rdmsr
        or      $EFER_LME, %eax
        wrmsr
        mov     %cr0, %eax
        or      $(CR0_PG | CR0_PE), %eax
        mov     %eax, %cr0
        lgdt    gdt_ptr
        ljmp    $0x08, $start64

        .code64
start64:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $boot_stack_top, %rsp
        mov     %esi, %edi
        call    mb_main
3:      cli
        hlt
        jmp     3b

        .section .rodata
        .align  8
gdt:    .quad   0
        .quad   0x00af9a000000ffff      /* 0x08: 64-bit code, DPL0 */
        .quad   0x00cf92000000ffff      /* 0x10: data */
gdt_end:
gdt_ptr:
        .word   gdt_end - gdt - 1
        .long   gdt

        .bss
        .align  4096
pml4:   .space  4096
pdpt:   .space  4096
pd:     .space  4 * 4096
boot_stack:
        .space  65536
boot_stack_top:
