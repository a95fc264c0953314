/* Device probe entry. The Multiboot loader enters in 32-bit protected mode, flat segments, paging
 * off, interrupts off (Multiboot Specification 0.6.96, 3.2); the probe never enables interrupts. */
#include "../../../../examples/multiboot/common/entry32.h"

        multiboot32_entry stack_top
        call    probe
1:      cli
        hlt
        jmp     1b

        .section .bss
        .align  16
        .space  8192
stack_top:
