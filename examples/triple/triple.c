/* Triple fault: load an IDT with limit 0, then raise #UD. Delivering #UD needs IDT entry 6 ->
 * beyond the limit -> #GP; #GP cannot be delivered either -> #DF; #DF fails -> shutdown
 * (SDM Vol. 3 6.15, "Interrupt 8—Double Fault Exception"). The machine must report a triple fault;
 * reaching the exit below would be a bug. */
#include "runtime.h"

int main(void) {
  puts("triple: loading an empty IDT and executing UD2\n");
  idt_load_empty();
  __asm__ volatile("ud2");
  puts("triple: still alive?!\n");
  return 9;
}
