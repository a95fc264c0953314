/* A separate translation unit holding the shared workload, so its code is compiled alone in every build. */
#include "../core/workload.c"
