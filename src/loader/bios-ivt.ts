// The real-mode interrupt vector table and BIOS data area a Multiboot kernel finds under QEMU, where SeaBIOS ran
// before QEMU's Multiboot option ROM (docs/boot.md "What a Multiboot kernel finds below 1 MiB"). dbstub has no
// BIOS, so it writes the part of SeaBIOS's work a kernel that goes back to real mode can meet without calling
// a BIOS service: every vector points at an IRET (SeaBIOS post.c ivt_init: entry_iret_official at F000:FF53),
// the hardware IRQ vectors at a handler that acknowledges the 8259A (entry_hwpic1/entry_hwpic2 -> pic_eoi1 /
// pic_eoi2), IRQ0 at a timer handler that counts the BDA's ticks, calls INT 1Ch and acknowledges (handle_08),
// and INT 60h-66h and 79h are zero as SeaBIOS leaves them. The BIOS services themselves (INT 10h, 13h, 15h,
// 16h, 1Ah...) are not provided: their vectors return at once with the registers unchanged.
//
// Before this a real-mode interrupt ran from 0000:0000 through the zero-filled table (kvm-unit-tests'
// realmode "sti inhibit" case reached its own IRET at 0x1000 that way, rewriting the table's first bytes).
import type { PhysicalMemory } from '../cpu/index.js';

/** SeaBIOS's segment for its 16-bit entry points. */
const BIOS_SEG = 0xf000;
/** The fixed IBM PC entry offsets SeaBIOS keeps (romlayout.S): the default IRET and the INT 08h handler. */
const IRET_OFF = 0xff53;
const INT08_OFF = 0xfea5;
/** dbstub's own offsets for the two unhandled-IRQ handlers (SeaBIOS places them where its build puts them). */
const HWPIC1_OFF = 0xff00;
const HWPIC2_OFF = 0xff10;

/** The 8259A vector bases SeaBIOS programs (devices/pc.ts firmwareHandoff does the same). */
const MASTER_BASE = 0x08, SLAVE_BASE = 0x70;
/** SeaBIOS ivt_init: vectors reserved for user interrupts and 79h are left zero. */
const ZERO_VECTORS = [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x79];
const USER_TICK_VECTOR = 0x1c;

/** BIOS data area fields (the IBM PC layout SeaBIOS's struct bios_data_area_s keeps). */
const BDA_COM1 = 0x400, BDA_EBDA_SEG = 0x40e, BDA_MEM_KIB = 0x413, BDA_TICKS = 0x46c;
const COM1_PORT = 0x3f8;
/** The EBDA SeaBIOS keeps at 639 KiB (the Multiboot memory map reserves 0x9FC00-0x9FFFF, docs/boot.md). */
const EBDA_ADDR = 0x9fc00, EBDA_KIB = 1, BASE_MEM_KIB = 639;

/** OCW2 non-specific EOI, the 8259A command ports. */
const EOI = 0x20, PIC_MASTER_CMD = 0x20, PIC_SLAVE_CMD = 0xa0;

// 16-bit handlers (bytes assembled by hand; each ends in IRET, which restores FLAGS).
const IRET = [0xcf];
const HWPIC1 = [0x50, 0xb0, EOI, 0xe6, PIC_MASTER_CMD, 0x58, 0xcf]; // push ax; mov al,20h; out 20h,al; pop ax; iret
const HWPIC2 = [0x50, 0xb0, EOI, 0xe6, PIC_SLAVE_CMD, 0xe6, PIC_MASTER_CMD, 0x58, 0xcf]; // ... out 0A0h,al; out 20h,al ...
const INT08 = [
  0x1e, 0x50, // push ds; push ax
  0x31, 0xc0, 0x8e, 0xd8, // xor ax,ax; mov ds,ax
  0x83, 0x06, BDA_TICKS & 0xff, BDA_TICKS >> 8, 0x01, // add word [046Ch],1
  0x83, 0x16, (BDA_TICKS + 2) & 0xff, (BDA_TICKS + 2) >> 8, 0x00, // adc word [046Eh],0
  0xcd, USER_TICK_VECTOR, // int 1Ch
  0xb0, EOI, 0xe6, PIC_MASTER_CMD, // mov al,20h; out 20h,al
  0x58, 0x1f, 0xcf, // pop ax; pop ds; iret
];

/** The IVT entry (offset, then segment: SDM Vol. 3 20.1.4) of each vector. */
function firmwareVector(v: number): { seg: number; off: number } {
  if (ZERO_VECTORS.includes(v)) return { seg: 0, off: 0 };
  if (v === MASTER_BASE) return { seg: BIOS_SEG, off: INT08_OFF };
  if (v > MASTER_BASE && v < MASTER_BASE + 8) return { seg: BIOS_SEG, off: HWPIC1_OFF };
  if (v >= SLAVE_BASE && v < SLAVE_BASE + 8) return { seg: BIOS_SEG, off: HWPIC2_OFF };
  return { seg: BIOS_SEG, off: IRET_OFF };
}

/** Write the IVT, the handlers, the BDA fields and the EBDA's size word. */
export function writeFirmwareIvt(memory: PhysicalMemory): void {
  const ivt = new Uint8Array(256 * 4);
  const dv = new DataView(ivt.buffer);
  for (let v = 0; v < 256; v++) {
    const { seg, off } = firmwareVector(v);
    dv.setUint16(v * 4, off, true);
    dv.setUint16(v * 4 + 2, seg, true);
  }
  memory.writePhys(0, ivt);
  const base = BIOS_SEG * 16;
  memory.writePhys(base + IRET_OFF, new Uint8Array(IRET));
  memory.writePhys(base + INT08_OFF, new Uint8Array(INT08));
  memory.writePhys(base + HWPIC1_OFF, new Uint8Array(HWPIC1));
  memory.writePhys(base + HWPIC2_OFF, new Uint8Array(HWPIC2));
  const w16 = (at: number, v: number) => memory.writePhys(at, new Uint8Array([v & 0xff, v >> 8]));
  w16(BDA_COM1, COM1_PORT);
  w16(BDA_EBDA_SEG, EBDA_ADDR >> 4);
  w16(BDA_MEM_KIB, BASE_MEM_KIB);
  memory.writePhys(BDA_TICKS, new Uint8Array(4)); // midnight: the RTC starts at 00:00 (devices/rtc.ts RTC_EPOCH)
  memory.writePhys(EBDA_ADDR, new Uint8Array([EBDA_KIB]));
}
