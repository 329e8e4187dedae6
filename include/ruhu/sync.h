/*
 * ruhu/sync.h — tablets and their township hub: making them, enrolment,
 * bundles, merge, review, pull (docs/sync.md).
 *
 * Design notes
 *  1. A device's saves go to its own branch (refs/heads/device) and wait in
 *     `_pending` until the hub's main acknowledges them; the hub's saves and
 *     merges go to refs/heads/main.
 *  2. Keys are made where they are used and never leave their replica; what
 *     travels is public keys, certificates and signed, encrypted bundles.
 */
#ifndef RUHU_SYNC_H
#define RUHU_SYNC_H

#include "ruhu/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Make a tablet's replica in `dir`: the encrypted database with the
 * embedded schema, the device's own keys, and its branch.  `opts` as for
 * ruhu_replica_create (NULL: defaults).  The replica stays open in *out.
 */
int ruhu_device_init(ruhu_replica **out, const char *dir, const char *device_id,
		     const char *passphrase, size_t len, const ruhu_replica_options *opts);

/** Make a township hub's replica in `dir` for the centre with `code` and
 *  `name` (the hub's id is "hub-CODE").  `catalogue` (may be NULL: the
 *  embedded default) is the centre's own service catalogue file. */
int ruhu_hub_init(ruhu_replica **out, const char *dir, const char *code, const char *name,
		  const char *catalogue, const char *passphrase, size_t len,
		  const ruhu_replica_options *opts);

#ifdef __cplusplus
}
#endif
#endif
