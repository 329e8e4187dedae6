/*
 * ops_sync_int.h — what ops_sync.c and ops_sync_template.c share: the
 * township template (its design notes are in ops_sync_template.c), its
 * record ids, and the times its clocks read.
 */
#ifndef RT_OPS_SYNC_INT_H
#define RT_OPS_SYNC_INT_H

#include <sys/types.h>

#include "support/harness.h"
#include "sync/sync_int.h"

/* 2026-11-27T09:00:00+08:00: the template's clock starts here and ticks a
 * second per reading; every run of an operation reads a fixed time a day
 * later (ops_sync.c, design note 1). */
#define T0_MS INT64_C(1795741200000)
#define RUN_MS (T0_MS + INT64_C(86400000))

/* Record ids of the template and of the operations. */
#define ID(n) "0190e0e0-0000-7000-8000-0000000000" #n
#define H1 ID(11)
#define H2 ID(12)
#define H3 ID(13)
#define P1 ID(21)
#define P2 ID(22)
#define P3 ID(23)
#define P4 ID(24)
#define P5 ID(25)
#define P6 ID(26)
#define AP1 ID(31)
#define AP2 ID(32)

/* The template (ops_sync_template.c, design note 1), made by
 * rt_sync_template. */
struct rt_sync_tpl {
	pid_t pid;                /* the process that made it (0: none yet) */
	char dir[256];
	char hub_base[300];       /* the hub after B's bundle: the merge base */
	char tablet_base[300];    /* tablet A with a1, a2, a3 pending */
	ruhu_buf bundle_a;        /* A's bundle of a1 and a2 */
	ruhu_buf reply_a;         /* the hub's reply to A after bundle A */
};
extern struct rt_sync_tpl rt_sync_tpl;

/* A resident identity number with its check digit. */
void rt_sync_idnumber(char out[19], unsigned n);
/* Bytes of a photo: deterministic, not compressible much. */
void rt_sync_photo(unsigned char *out, size_t len, unsigned seed);
/* Copy a base into the operation's folder, in the operation's journal mode. */
void rt_sync_setup_from(const char *base, const char *dir, const struct rt_op *op);

#endif
