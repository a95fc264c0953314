/* Benchmark workloads shared by every build of the bench guests (dbstub bare-metal guests, the
 * static Linux program run under qemu-x86_64, the Multiboot image run under qemu-system-x86_64).
 * workload.c is compiled with the same flags in each build, so the instructions executed per
 * iteration are the same machine code everywhere; the bench counts them once on dbstub. */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

typedef unsigned char bu8;
typedef unsigned int bu32;
typedef unsigned long long bu64;

/* Written once every `tick_every` iterations of int_loop: the watchpoint target of the gdb bench.
 * Never touched otherwise. */
extern volatile bu64 bench_tick;

/* Integer loop: `iters` iterations of an LCG + xorshift mix (ALU, shifts, a multiply, a taken branch),
 * one store to bench_tick every `tick_every` iterations (0: never). Returns a checksum. */
bu64 int_loop(bu64 iters, bu64 tick_every);

/* C workload: fill `n` 32-bit words with an LCG from `seed`, heap-sort them, return the CRC32
 * (reflected, 0xEDB88320, table-driven) of the sorted bytes. `crc_table` must hold 256 words. */
bu32 sort_crc(bu32 *words, bu64 n, bu32 seed, bu32 *crc_table);

#endif
