/*
 * ruhu/audit.h — for auditors who trust nothing: the history read back from
 * the signed commits (a log with its graph, one commit, every version of one
 * record, who made each field what it is), a verification that replays the
 * whole history into a scratch database, and the archive package of closed
 * cases (DOMAIN clause 6.3).  docs/audit.md is the guide.
 *
 * Design notes
 *  1. Nothing here writes to the replica except ruhu_archive_export, whose
 *     package is recorded as a signed save on main (an audited event).
 *  2. Everything is read from the commits, never from bookkeeping tables that
 *     nobody signs: who, when, device and visit from trailers; values from
 *     changesets; rules from decisions.txt.  `_signers` gives the keys and
 *     their enrolment and revocation dates; `_pending` (on a tablet) the
 *     saves not yet acknowledged.
 *  3. On a hub the history is `refs/heads/main`; on a tablet it is the
 *     tablet's own branch and the hub main it last applied.
 *  4. Strings and arrays handed to callbacks are borrowed for the call.
 *  5. A signature letter is git's %G? with ruhu's R: G good (the key the
 *     maker named in Ruhu-Device had enrolled, not revoked at the time), B
 *     bad, U a key not known for that maker, R a key revoked before the
 *     time, N none, E unreadable.  The time of a tablet's save is the time
 *     the hub merged it (its own clock is the signer's claim); other commits
 *     use their committer time.
 */
#ifndef RUHU_AUDIT_H
#define RUHU_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "ruhu/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* One commit as the audit shows it                                    */
/* ------------------------------------------------------------------ */

/** A commit: the fields of `ruhu log` (the signature letter is the
 *  audit's, design note 5) and what the audit adds. */
typedef struct {
	ruhu_log_entry commit;
	/** "save" (a tablet's), "merge", "hub" (an edit at the hub),
	 *  "resolution" (of a review item), "revocation", "archive" */
	const char *kind;
	const char *merge_of;    /**< merge: the device whose save it took in, else "" */
	int64_t merge_seq;       /**< merge: that save's sequence number, else 0 */
	int64_t reviews;         /**< merge: review items it opened */
	const char *resolves;    /**< resolution: the review item, else "" */
	const char *revokes;     /**< revocation: the device, else "" */
	const char *archive;     /**< archive: the Ruhu-Archive trailer, else "" */
	const char *sig_note;    /**< why the letter is not G, else "" */
	/** With RUHU_AUDIT_GRAPH: the graph lines before the commit's line
	 *  (each ending "\n"), the graph on its line (to be followed by the
	 *  commit's text) and the lines after it (each ending "\n"); "" else. */
	const char *graph_before;
	const char *graph;
	const char *graph_after;
} ruhu_audit_entry;

/* ------------------------------------------------------------------ */
/* Log                                                                  */
/* ------------------------------------------------------------------ */

#define RUHU_AUDIT_GRAPH 1u  /**< draw the graph as `git log --graph` does */

typedef struct {
	unsigned int version;
	unsigned int flags;   /**< RUHU_AUDIT_GRAPH */
	int64_t since;        /**< only commits made at or after (seconds since 1970); 0: all */
	const char *device;   /**< only commits made by this device, or merging its saves */
	const char *worker;   /**< only commits whose Ruhu-Worker is this caseworker */
} ruhu_audit_log_opts;

#define RUHU_AUDIT_LOG_OPTS_VERSION 1
#define RUHU_AUDIT_LOG_OPTS_INIT { RUHU_AUDIT_LOG_OPTS_VERSION, 0, 0, NULL, NULL }
int ruhu_audit_log_opts_init(ruhu_audit_log_opts *opts, unsigned int version);

typedef int (*ruhu_audit_log_cb)(const ruhu_audit_entry *e, void *payload);

/**
 * The history (design note 3), newest first, in the order of `git log
 * --graph` (children before parents; after a merge, the merged branch
 * first).  With filters, a commit left out is skipped and the graph joins
 * each shown commit to its nearest shown ancestors.  A non-zero return of
 * cb stops the walk and is returned.  `opts` may be NULL.
 */
int ruhu_audit_log(ruhu_replica *r, const ruhu_audit_log_opts *opts, ruhu_audit_log_cb cb,
		   void *payload);

/**
 * Read a date for --since: "YYYY-MM-DD" (midnight) or
 * "YYYY-MM-DDTHH:MM[:SS]" in the replica's zone, or with a zone
 * ("+08:00", "Z").  *out gets seconds since 1970.
 */
int ruhu_audit_parse_time(int64_t *out, ruhu_replica *r, const char *text);

/* ------------------------------------------------------------------ */
/* Show                                                                 */
/* ------------------------------------------------------------------ */

/** One line of decisions.txt (docs/merge.md §6); NULL for `\N`. */
typedef struct {
	const char *type;
	const char *id;
	const char *field;    /**< NULL for a whole record */
	const char *rule;
	const char *base, *hub, *device, *result;
	const char *note;
} ruhu_audit_decision;

typedef struct {
	ruhu_audit_entry entry;
	const ruhu_audit_entry *merged;  /**< a merge: the tablet's save it took in; else NULL */
	const char *changes;             /**< changes.txt of the commit ("" when none) */
	const char *merged_changes;      /**< a merge: the save's own changes.txt; else "" */
	const ruhu_audit_decision *decisions;
	size_t ndecisions;
} ruhu_audit_commit;

/** The commit named by a full or abbreviated id (4 hex digits or more). */
int ruhu_audit_show(ruhu_replica *r, const char *rev,
		    int (*cb)(const ruhu_audit_commit *c, void *payload), void *payload);

/* ------------------------------------------------------------------ */
/* History and blame of one record                                      */
/* ------------------------------------------------------------------ */

/** A version of a record. */
typedef struct {
	size_t version;                   /**< 1 for the insert, then one more per change */
	const char *op;                   /**< "insert", "update", "delete", or "kept": a
					       rule decided about it and nothing changed */
	int pending;                      /**< a tablet's save the hub has not acknowledged */
	const ruhu_audit_entry *commit;   /**< the commit on main (or the pending save) */
	const ruhu_audit_entry *bundle;   /**< a merge: the tablet's save it arrived in (who,
					       device, visit, HLC are there); NULL otherwise */
	size_t nfields;
	const char *const *fields;        /**< every field of the type, table order */
	const ruhu_value *before;         /**< the record before (NULL values before the insert) */
	const ruhu_value *after;          /**< the record after (NULL values after a delete) */
	const unsigned char *changed;     /**< per field: 1 when this version set it */
	const ruhu_audit_decision *decisions; /**< decisions.txt lines about this record */
	size_t ndecisions;
} ruhu_audit_version;

/**
 * Every version of record `id` of `type`, oldest first, read from main's
 * first-parent history (each commit's changeset and decisions.txt) and, on
 * a tablet, its pending saves.  RUHU_EINVALID for an unknown type,
 * RUHU_ENOTFOUND when no commit ever held the record.
 */
int ruhu_audit_history(ruhu_replica *r, const char *type, const char *id,
		       int (*cb)(const ruhu_audit_version *v, void *payload), void *payload);

/** Who made one field what it is. */
typedef struct {
	const char *field;
	ruhu_value value;                 /**< the value the history gives it */
	const ruhu_audit_entry *commit;   /**< the commit that set it */
	const ruhu_audit_entry *bundle;   /**< the tablet's save it arrived in; NULL: a hub edit */
	size_t version;                   /**< the version (ruhu_audit_history) that set it */
	/** The last rule that decided this field with this value as result, at
	 *  or after the commit that set it ("" when none fired: one side changed
	 *  it), the commit of that decision and the decision itself. */
	const char *rule;
	const ruhu_audit_entry *decided_in;
	const ruhu_audit_decision *decision;
} ruhu_audit_blame_line;

/** Blame each field of record `id` of `type`, in table order.  A deleted
 *  record is RUHU_ENOTFOUND naming the commit that deleted it. */
int ruhu_audit_blame(ruhu_replica *r, const char *type, const char *id,
		     int (*cb)(const ruhu_audit_blame_line *b, void *payload), void *payload);

/* ------------------------------------------------------------------ */
/* Verify                                                               */
/* ------------------------------------------------------------------ */

/** One problem found.  Strings are owned by the report. */
typedef struct {
	/** "missing-object", "corrupt-object", "unsigned", "unreadable-signature",
	 *  "bad-signature", "unknown-key", "revoked-key", "not-enrolled",
	 *  "not-a-ruhu-commit", "merge-mismatch", "replay-conflict", "digest",
	 *  "row-changed", "row-missing", "row-extra" */
	char *kind;
	char commit[RUHU_OID_SIZE];   /**< the commit concerned, "" when none */
	char *type, *id, *field;      /**< the record and field, NULL when not about one */
	char *expected, *found;       /**< values as changes.txt writes them, or NULL */
	char *message;                /**< one line */
} ruhu_audit_problem;

#define RUHU_AUDIT_MAX_PROBLEMS 100

typedef struct {
	int tablet;                   /**< verified a tablet (main known + pending saves) */
	size_t refs;                  /**< refs whose history was walked */
	size_t commits;               /**< commits reachable from them */
	size_t objects;               /**< objects read and hashed (commits, trees, blobs) */
	size_t signatures;            /**< good signatures (design note 5) */
	size_t replayed;              /**< main commits replayed */
	size_t digests;               /**< Ruhu-Digest trailers matched */
	size_t pending;               /**< tablet: pending saves applied after main */
	size_t rows;                  /**< rows compared with the replica */
	char main[RUHU_OID_SIZE];     /**< the main verified up to ("" when none) */
	char digest[65];              /**< its digest */
	size_t nproblems;             /**< problems kept (at most RUHU_AUDIT_MAX_PROBLEMS) */
	size_t more_problems;         /**< problems found beyond those */
	ruhu_audit_problem *problems;
} ruhu_audit_verify_report;

typedef struct {
	unsigned int version;
	/** Called now and then: `done` of `total` commits checked. */
	void (*progress)(size_t done, size_t total, void *payload);
	void *payload;
	/** Threads for signature checks beside the replay: 0 = one helper
	 *  thread, 1 = none (everything on the calling thread). */
	unsigned int threads;
} ruhu_audit_verify_opts;

#define RUHU_AUDIT_VERIFY_OPTS_VERSION 1
#define RUHU_AUDIT_VERIFY_OPTS_INIT { RUHU_AUDIT_VERIFY_OPTS_VERSION, NULL, NULL, 0 }
int ruhu_audit_verify_opts_init(ruhu_audit_verify_opts *opts, unsigned int version);

/**
 * Verify everything (docs/audit.md §4): every ref's chain (every object
 * present and hashing to its id), every signature against `_signers`
 * (design note 5), main replayed from its first commit into an in-memory
 * database with each changeset applied exactly and each Ruhu-Digest
 * matched, on a tablet the pending saves after it, and the result compared
 * row by row with the replica.  Fills *out (release with
 * ruhu_audit_verify_report_dispose) and returns 0 when all is well;
 * RUHU_ECORRUPT with the first problem as message when not; another error
 * when the verification could not run.  `opts` may be NULL.
 */
int ruhu_audit_verify(ruhu_audit_verify_report *out, ruhu_replica *r,
		      const ruhu_audit_verify_opts *opts);
void ruhu_audit_verify_report_dispose(ruhu_audit_verify_report *rep);

/* ------------------------------------------------------------------ */
/* Archive package (DOMAIN clause 6.3; GB/T 18894 style)                */
/* ------------------------------------------------------------------ */

typedef struct {
	unsigned int version;
	/** Cases whose last change is before this day (YYYY-MM-DD, the
	 *  centre's zone) are taken; required. */
	const char *closed_before;
} ruhu_archive_opts;

#define RUHU_ARCHIVE_OPTS_VERSION 1
#define RUHU_ARCHIVE_OPTS_INIT { RUHU_ARCHIVE_OPTS_VERSION, NULL }
int ruhu_archive_opts_init(ruhu_archive_opts *opts, unsigned int version);

typedef struct {
	size_t records;               /**< cases archived */
	size_t applications, disputes, complaints;
	size_t attachments;           /**< attachment files */
	size_t files;                 /**< files listed in the manifest */
	uint64_t bytes;               /**< their bytes */
	char manifest_sha256[65];     /**< SHA-256 of manifest-sha256.txt, hex */
	char commit[RUHU_OID_SIZE];   /**< the archive event on main */
} ruhu_archive_report;

/**
 * Write the archive package of the hub's closed cases (applications
 * completed, rejected or referred; disputes settled or forwarded;
 * complaints closed) whose last change is before opts->closed_before into
 * `outdir` (missing or empty): catalogue.csv and catalogue.xml with archive
 * codes, one JSON file per case with its full history, its attachments,
 * README.txt and manifest-sha256.txt (docs/audit.md §6), then record the
 * export as a signed save on main with the trailer Ruhu-Archive.  The package
 * holds personal data in clear: the caller says so.  On failure the files
 * written are removed and nothing is recorded.
 */
int ruhu_archive_export(ruhu_archive_report *out, ruhu_replica *hub, const char *outdir,
			const ruhu_archive_opts *opts);

/** What ruhu_archive_verify checked. */
typedef struct {
	size_t files;                 /**< files listed and checked */
	uint64_t bytes;
	size_t records;               /**< catalogue entries */
	char manifest_sha256[65];     /**< SHA-256 of the manifest, hex */
	char commit[RUHU_OID_SIZE];   /**< with a replica: the archive event naming it */
} ruhu_archive_check;

/**
 * Check an archive package: every file of the manifest present with its
 * SHA-256, no file that the manifest does not list, the catalogue's files
 * all there.  RUHU_ECORRUPT naming the first problem.  With a replica `r`
 * (may be NULL), the manifest's hash must also be the one an archive event
 * on its main recorded.
 */
int ruhu_archive_verify(ruhu_archive_check *out, const char *dir, ruhu_replica *r);

#ifdef __cplusplus
}
#endif
#endif
