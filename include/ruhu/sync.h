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

/* ------------------------------------------------------------------ */
/* Tablet side                                                          */
/* ------------------------------------------------------------------ */

/** The enrolment request of a tablet: its id and public keys, signed with
 *  its key (a small text file; no secret in it). */
int ruhu_enrol_request(ruhu_buf *out, ruhu_replica *device);

/** What a pull (or a join) did. */
typedef struct {
	int up_to_date;            /**< the reply brought nothing new */
	size_t main_commits;       /**< main commits applied */
	size_t acknowledged;       /**< own saves the hub has taken in */
	size_t redone;             /**< own saves re-applied on top of main */
	char main[RUHU_OID_SIZE];  /**< the hub's main now known */
	char digest[65];           /**< the tablet's digest after main (== main's) */
} ruhu_pull_report;

/** Take the hub's enrolment reply: its keys, the device certificate, the
 *  centre's catalogue, the known signers, and the township's state.  The
 *  hub's key id is given in `hub_keyid` (RUHU_KEYID_HEXLEN hex digits and a
 *  NUL) so the caseworker can compare it with what the hub showed. */
int ruhu_join(ruhu_pull_report *out, char hub_keyid[17], ruhu_replica *device,
	      const void *reply, size_t len);

/** Write a bundle of every save the hub has not acknowledged, addressed
 *  to the hub; *ncommits (may be NULL) gets how many saves it carries. */
int ruhu_push(ruhu_buf *out, size_t *ncommits, ruhu_replica *device);

/** Take a reply of the hub: verify it, store its objects, undo the pending
 *  saves, apply main, drop what main acknowledged, redo the rest, and check
 *  that the state digest equals main's (RUHU_ECONFLICT "divergence" when it
 *  does not; nothing is changed then). */
int ruhu_pull(ruhu_pull_report *out, ruhu_replica *device, const void *reply, size_t len);

/* ------------------------------------------------------------------ */
/* Hub side                                                             */
/* ------------------------------------------------------------------ */

/** Enrol a tablet from its request: register its keys and its caseworker
 *  (a `worker` record on main when new), and write the enrolment reply. */
int ruhu_hub_enrol(ruhu_buf *out, ruhu_replica *hub, const void *request, size_t len,
		   const char *worker, const char *worker_name);

/** Revoke a tablet: its bundles are refused from now on, with `reason`. */
int ruhu_hub_revoke(ruhu_replica *hub, const char *device, const char *reason);

/** Progress of an ingest: `done` of `total` device commits merged. */
typedef void (*ruhu_progress_cb)(size_t done, size_t total, void *payload);

typedef struct {
	unsigned int version;
	ruhu_progress_cb progress;  /**< may be NULL */
	void *payload;
	int dry_run;                /**< preview: do everything, keep nothing */
} ruhu_ingest_opts;

#define RUHU_INGEST_OPTS_VERSION 1
#define RUHU_INGEST_OPTS_INIT { RUHU_INGEST_OPTS_VERSION, NULL, NULL, 0 }
int ruhu_ingest_opts_init(ruhu_ingest_opts *opts, unsigned int version);

#define RUHU_INGEST_MAX_RULES 24

/** What an ingest did. */
typedef struct {
	char device[RUHU_ID_SIZE];   /**< who sent the bundle */
	int waiting;                 /**< held: its prerequisites have not arrived */
	size_t commits;              /**< device commits merged now */
	size_t duplicates;           /**< device commits merged before (no-op) */
	size_t changes;              /**< row changes the merges applied */
	size_t reviews;              /**< review items opened */
	size_t released;             /**< waiting bundles let in after this one */
	struct {
		char rule[24];
		size_t count;
	} rules[RUHU_INGEST_MAX_RULES]; /**< decisions by rule */
	size_t nrules;
	ruhu_buf preview;            /**< dry run: the decisions, as decisions.txt */
} ruhu_ingest_report;

/** Take in a tablet's bundle: verify the envelope and every commit's
 *  signature, refuse unknown or revoked devices, other hubs' bundles and
 *  other schemas; merge each new device commit into main.  All of it is one
 *  transaction: on failure (or a power loss) nothing of the bundle is kept.
 *  `out` must be released with ruhu_ingest_report_dispose. */
int ruhu_hub_ingest(ruhu_ingest_report *out, ruhu_replica *hub, const void *bundle, size_t len,
		    const ruhu_ingest_opts *opts);
void ruhu_ingest_report_dispose(ruhu_ingest_report *rep);

/** Write the hub's reply for a tablet: main since what it last reported. */
int ruhu_hub_reply(ruhu_buf *out, ruhu_replica *hub, const char *device);

/** A tablet as `ruhu hub devices` shows it. */
typedef struct {
	const char *id;
	const char *worker;
	const char *worker_name;
	int64_t enrolled_ms;
	int64_t revoked_ms;          /**< 0: not revoked */
	const char *reason;
	int64_t last_seq;            /**< newest save merged */
	int64_t last_bundle_ms;      /**< 0: none yet */
	size_t waiting;              /**< bundles held for prerequisites */
} ruhu_device_info;

int ruhu_hub_devices(ruhu_replica *hub, int (*cb)(const ruhu_device_info *d, void *payload),
		     void *payload);

/* ------------------------------------------------------------------ */
/* Review queue (hub)                                                   */
/* ------------------------------------------------------------------ */

/** A review item; values are text (NULL: SQL NULL), borrowed for the
 *  callback. */
typedef struct {
	int64_t rid;
	const char *kind;          /**< the rule that opened it */
	const char *type;
	const char *id;
	const char *field;         /**< NULL for a whole record */
	const char *base, *hub, *device;
	const char *other_id;      /**< `duplicate`: the other record */
	const char *note;
	const char *device_id;     /**< the tablet whose change it holds */
	const char *worker;
	char device_commit[RUHU_OID_SIZE];
	char merge_commit[RUHU_OID_SIZE];
	int64_t opened_ms;
	const char *status;        /**< "open" or "resolved" */
	const char *resolution;    /**< how it was resolved, or NULL */
	char resolution_commit[RUHU_OID_SIZE];
} ruhu_review_item;

typedef int (*ruhu_review_cb)(const ruhu_review_item *item, void *payload);

/** Open items (all items with `all`), oldest first. */
int ruhu_review_list(ruhu_replica *hub, int all, ruhu_review_cb cb, void *payload);
/** One item (RUHU_ENOTFOUND when there is none). */
int ruhu_review_get(ruhu_replica *hub, int64_t rid, ruhu_review_cb cb, void *payload);

typedef enum {
	RUHU_TAKE_HUB = 1,
	RUHU_TAKE_DEVICE,
	RUHU_TAKE_BASE,
	RUHU_TAKE_VALUE
} ruhu_take;

/** Resolve an open item with a signed commit on main authored by the
 *  operator: take the hub's, the device's or the base value, or `value`. */
int ruhu_review_resolve(ruhu_save_info *out, ruhu_replica *hub, int64_t rid, ruhu_take take,
			const char *value, const char *reason);

#ifdef __cplusplus
}
#endif
#endif
