/*
 * inspect_int.h — what inspect.c and inspect_commits.c share: the signing
 * keys a bundle's commits are checked against, and the commits of its pack
 * kept in memory (inspect.c has the design notes).
 */
#ifndef RUHU_SYNC_INSPECT_INT_H
#define RUHU_SYNC_INSPECT_INT_H

#include "sync/sync_int.h"

/* A signing key a commit may be checked against (design note 4). */
struct signer {
	char id[RUHU_ID_SIZE];
	unsigned char key[32];
	int64_t revoked_ms;
};

struct signers {
	struct signer *v;
	size_t n, cap;
};

struct commits {
	void *store;              /* the commits in memory (inspect_commits.c), never the replica's */
	int store_owned;          /* odb owns the store */
	git_odb *odb;             /* over store */
	git_repository *repo;     /* over odb */
	git_oid *ids;             /* the commits of the pack, in pack order */
	size_t n, cap, objects;   /* objects: every object of the pack */
};

/* Parse the pack of `b` (ruhu_pack_parse checks every object) and keep its
 * commits in a store of their own; release with inspect_commits_dispose
 * (also after a failure). */
int inspect_load_commits(struct commits *c, const ruhu_bundle *b);
void inspect_commits_dispose(struct commits *c);

/* Give every commit to `cb` (may be NULL), parents first, with its
 * signature checked against `s`; counts bad and unverified ones in info. */
int inspect_give_commits(ruhu_bundle_info *info, struct commits *c, const struct signers *s,
			 ruhu_bundle_entry_cb cb, void *payload);

#endif
