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
	char waiting_for[RUHU_OID_SIZE]; /**< waiting: the first prerequisite not yet here */
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

/* ------------------------------------------------------------------ */
/* Files and folders (via.c)                                            */
/* ------------------------------------------------------------------ */

/** Read a whole file of at most `max` bytes into `out` (cleared first):
 *  RUHU_ENOTFOUND when it is missing, RUHU_EINVALID when it is larger. */
int ruhu_file_read(ruhu_buf *out, const char *path, size_t max);
/** Write a file atomically (a temporary beside it, fsync, rename, fsync of
 *  the folder), readable by its owner only: a reader sees the old file or
 *  the new one, never a part. */
int ruhu_file_write(const char *path, const void *data, size_t len);

/** The largest bundle, reply or request file ruhu reads (bytes). */
#define RUHU_FILE_MAX (((size_t)1 << 31) + 65536)

/** What `ruhu sync --via DIR` did on a tablet.  Release with
 *  ruhu_via_report_dispose. */
typedef struct {
	int reply_found;           /**< DIR/<device>.reply was there */
	int reply_error;           /**< 0: taken (and removed); else the code it was refused with */
	ruhu_buf reply_message;    /**< the refusal, when reply_error */
	ruhu_pull_report pull;     /**< what taking the reply did */
	ruhu_buf reply_path;       /**< DIR/<device>.reply */
	ruhu_buf push_path;        /**< DIR/<device>.push, written */
	size_t pushed;             /**< saves the push carries */
} ruhu_via_report;

/**
 * Sync a tablet through the folder `dir` (a USB stick, a shared folder;
 * docs/sync.md §4): take the reply addressed to it (DIR/<device>.reply:
 * pulled, then removed), then write its bundle to DIR/<device>.push,
 * replacing the one before.  A refused reply does not stop the push: it is
 * kept in the folder and reported in out->reply_error / reply_message, and
 * the call returns 0.  Errors: the tablet has not joined, the folder is
 * missing, the push cannot be written.
 */
int ruhu_sync_via(ruhu_via_report *out, ruhu_replica *device, const char *dir);
void ruhu_via_report_dispose(ruhu_via_report *rep);

/** One `*.push` file the hub found in the folder. */
typedef struct {
	char *name;                 /**< the file's name in the folder */
	int error;                  /**< 0: taken (and removed); else the refusal's code */
	char *message;              /**< the refusal, or NULL */
	ruhu_ingest_report ingest;  /**< what the ingest did; `device` is set on most refusals */
} ruhu_via_file;

/** What `ruhu hub sync --via DIR` did.  Release with
 *  ruhu_hub_via_report_dispose. */
typedef struct {
	ruhu_via_file *files;       /**< in the order taken (byte order of names) */
	size_t nfiles;
	size_t taken, refused;
	char (*replies)[RUHU_ID_SIZE]; /**< devices a reply was written for, by id */
	size_t nreplies;
} ruhu_hub_via_report;

/**
 * The hub's side of a folder: ingest every `*.push` in `dir` (each through
 * ruhu_hub_ingest with `opts`, may be NULL; a refused file is reported and
 * left in the folder, and the others go on), then write DIR/<device>.reply
 * for every enrolled, non-revoked device that has sent a bundle at least
 * once.  Returns 0 when every file was looked at and every reply written,
 * even when some files were refused (out->refused); an error of the hub
 * itself (disk full, the replica locked) stops it and is returned, with
 * the report holding what was done.
 */
int ruhu_hub_sync_via(ruhu_hub_via_report *out, ruhu_replica *hub, const char *dir,
		      const ruhu_ingest_opts *opts);
void ruhu_hub_via_report_dispose(ruhu_hub_via_report *rep);

/* ------------------------------------------------------------------ */
/* Bundle files: verify, list, open (inspect.c)                         */
/* ------------------------------------------------------------------ */

/** The key id of the replica's own signing key: RUHU_KEYID_HEXLEN (16)
 *  hex digits and a NUL, as `hub enrol` and `join` print it. */
int ruhu_replica_keyid(char out[17], ruhu_replica *r);

/** The tablet an enrolment request names and the key id of its signing
 *  key, once the request is found signed by that key (RUHU_EINVALID when
 *  the bytes are not a request, RUHU_EAUTH when the signature fails). */
int ruhu_enrol_request_inspect(char device[RUHU_ID_SIZE], char keyid[17], const void *request,
			       size_t len);

/** What a bundle file is, as the replica it is addressed to reads it. */
typedef struct {
	char kind[24];               /**< "device bundle", "hub reply", "enrolment reply" */
	char sender[RUHU_ID_SIZE];
	char recipient[RUHU_ID_SIZE];
	char sender_keyid[17];       /**< the key its signature verified with */
	int key_from_file;           /**< an enrolment reply read before joining: the key is
					  the one the file names (compare it with the hub's) */
	int sender_revoked;          /**< the hub revoked the sending tablet */
	int64_t created;             /**< seconds since 1970 (the sender's clock), 0: not given */
	size_t bytes;                /**< of the git bundle inside */
	size_t objects;              /**< git objects in its pack */
	size_t nrefs, nprereqs, ncommits;
	size_t missing;              /**< prerequisites this replica does not have */
	size_t bad;                  /**< commits whose signature is not good (B, N, E, or U/R
					  for a signer whose keys this replica knows) */
	size_t unverified;           /**< commits by a signer this replica knows no key of */
} ruhu_bundle_info;

typedef enum {
	RUHU_BUNDLE_ENTRY_REF = 1,
	RUHU_BUNDLE_ENTRY_PREREQ,
	RUHU_BUNDLE_ENTRY_COMMIT
} ruhu_bundle_entry_kind;

/** A ref, a prerequisite or a commit of a bundle, as `bundle list` shows
 *  it.  Strings are borrowed for the callback; a field that does not apply
 *  is "" (or 0). */
typedef struct {
	ruhu_bundle_entry_kind what;
	char id[RUHU_OID_SIZE];
	const char *name;            /**< ref: its name; prerequisite: git's comment; commit: subject */
	int present;                 /**< prerequisite: this replica has it */
	const char *author;          /**< commits: the caseworker or operator */
	int64_t time;                /**< commits: seconds since 1970 */
	int offset;                  /**< commits: minutes east of UTC */
	const char *device;          /**< commits: Ruhu-Device */
	const char *worker;          /**< commits: Ruhu-Worker */
	const char *hlc;             /**< commits: Ruhu-HLC */
	int64_t seq;                 /**< commits: Ruhu-Seq */
	size_t nparents;
	char parents[2][RUHU_OID_SIZE];
	char sig;                    /**< commits: as ruhu_log_entry.sig */
} ruhu_bundle_entry;

typedef int (*ruhu_bundle_entry_cb)(const ruhu_bundle_entry *e, void *payload);

/**
 * Read a bundle file addressed to this replica (a tablet's bundle on its
 * hub, a reply or enrolment reply on its tablet): check the envelope's
 * signature with the sender's key (on a hub the enrolled device's, on a
 * tablet its hub's), decrypt it, parse the git bundle and every object of
 * its pack, and check every commit's signature.  `cb` (may be NULL) gets
 * the refs, then the prerequisites, then the commits parents first.
 * Returns 0 when all of that could be read, whatever the counts in `out`
 * say; refused (as ingest and pull refuse) when the file is not addressed
 * to this replica, the sender is unknown, the signature fails or the bytes
 * are damaged.  Reads only.
 */
int ruhu_bundle_inspect(ruhu_bundle_info *out, ruhu_replica *r, const void *data, size_t len,
			ruhu_bundle_entry_cb cb, void *payload);

/**
 * ruhu_bundle_inspect, then fail as `git bundle verify` does when a
 * prerequisite is missing (RUHU_EWAITING), when a commit's signature is not
 * good (RUHU_EAUTH), or when the sender is revoked (RUHU_EREVOKED).
 */
int ruhu_bundle_verify(ruhu_bundle_info *out, ruhu_replica *r, const void *data, size_t len);

/**
 * Decrypt a bundle file addressed to this replica (checked as by
 * ruhu_bundle_inspect) into a plain git v2 bundle that stock git can
 * clone or fetch from.  The bytes hold personal data in clear: dispose of
 * them with ruhu_buf_dispose_secure and write them only where the user
 * asked (an explicit export).  `info` may be NULL.
 */
int ruhu_bundle_open(ruhu_buf *out, ruhu_bundle_info *info, ruhu_replica *r, const void *data,
		     size_t len);

#ifdef __cplusplus
}
#endif
#endif
