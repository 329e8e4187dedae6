/*
 * setup.h — make a new replica ready for saves: schema, identity, branch and
 * the bookkeeping its role in sync needs.  Called by sync's `device init` and
 * `hub init`; core itself knows no roles, only these flags.
 */
#ifndef RUHU_CORE_SETUP_H
#define RUHU_CORE_SETUP_H

#include "core/replica.h"

/* Saves wait for a merge authority to acknowledge them (`_pending`). */
#define RUHU_SETUP_TRACK_PENDING 1u
/* Saves are the merge authority's own (field clocks kept for `lww`). */
#define RUHU_SETUP_AUTHORITY 2u

/*
 * In one transaction: install the embedded schema, make the replica's keys
 * and record its id and centre (core/identity.h), name the branch its saves
 * go to, set the flags, and make the tables they need.  RUHU_EEXISTS when the
 * replica already has an identity.
 */
int ruhu_replica_setup(ruhu_replica *r, const char *self_id, const char *centre,
		       const char *branch, unsigned int flags);

#endif
