/*
 * audit_sigpool.h — signature checks beside the replay (audit_sigpool.c).
 */
#ifndef RUHU_SYNC_AUDIT_SIGPOOL_H
#define RUHU_SYNC_AUDIT_SIGPOOL_H

#include "sync/audit.h"

struct audit_sigpool;

/* Start checking into `results` (one slot per commit, the caller's, read
 * only after audit_sigpool_finish).  threads == 1: no helper thread. */
int audit_sigpool_start(struct audit_sigpool **out, struct audit_sig *results, unsigned int threads);
/* Check the signature `sig` over `data` into results[slot]; the buffers are
 * taken (left empty). */
void audit_sigpool_submit(struct audit_sigpool *p, uint32_t slot, ruhu_buf *sig, ruhu_buf *data);
/* Wait for every check, stop the helper, free the pool (NULL is fine). */
void audit_sigpool_finish(struct audit_sigpool *p);

#endif
