/* Native build of work.c: the oracle (the host CPU runs the same code). */
#include <stdio.h>
void run_all(void);
void emit(const char *name, unsigned long long v) { printf("%s 0x%llx\n", name, v); }
int main(void) { run_all(); puts("done"); return 0; }
