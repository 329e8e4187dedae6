/*
 * hub.h — the hub's bookkeeping tables, shared by enrolment, ingest, reply,
 * review and revocation (docs/sync.md §1).
 *
 * Design notes
 *  1. `_devices` is the hub's register of tablets: keys, worker, dates,
 *     revocation, and what it knows of each device's history: the newest
 *     sequence merged, the device's tip, and the main the device last said
 *     it has (the reply's starting point).
 *  2. `_merged` maps each device commit taken in to the merge commit that
 *     took it: a commit found there again is a duplicate and a no-op.
 *  3. `_inbox` keeps bundles whose prerequisites have not arrived, as
 *     received (encrypted), until a later ingest lets them in.
 *  4. `_review` is the queue of decisions that need a person.
 */
#ifndef RUHU_SYNC_HUB_H
#define RUHU_SYNC_HUB_H

#include <git2.h>

#include "core/replica.h"

/* Make the tables (at hub init; harmless when they exist). */
int ruhu_hub_tables(sqlite3 *db);

typedef struct {
	char id[RUHU_ID_SIZE];
	unsigned char sign_key[32];
	unsigned char box_key[32];
	char worker[RUHU_ID_SIZE];
	char worker_name[256];
	int64_t enrolled_ms;
	int64_t revoked_ms;          /* 0: not revoked */
	char reason[256];
	int64_t last_seq;            /* newest sequence merged */
	int64_t last_bundle_ms;      /* 0: never */
	int has_known_main;
	git_oid known_main;
	int has_tip;
	git_oid tip;
} ruhu_device_rec;

/* A device of the register: RUHU_ENOTFOUND "unknown device ID". */
int ruhu_device_lookup(ruhu_device_rec *out, sqlite3 *db, const char *id);
/* Each device, by id; a non-zero return of cb stops and is returned. */
int ruhu_device_foreach(sqlite3 *db, int (*cb)(const ruhu_device_rec *d, void *payload),
			void *payload);
/* Set (NULL: forget) the main the device is known to have. */
int ruhu_device_set_known_main(sqlite3 *db, const char *id, const git_oid *main);
/* Fail unless the replica is a hub (RUHU_EINVALID "DIR is not a hub"). */
int ruhu_hub_check(ruhu_replica *r);
/* Fail unless the replica is a device that joined a hub. */
int ruhu_device_check(ruhu_replica *r, int need_joined);

#endif
