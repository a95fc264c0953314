/* db-task-gate with the handler task resuming through RF in the interrupted task's TSS EFLAGS image
   (SDM Vol. 3 19.3.1.1: RF "is copied into the RF flag in the EFLAGS register by IRETD/IRETQ or a task
   switch that causes the return"). */
#define DTG_USE_RF 1
#include "../db-task-gate/main.S"
