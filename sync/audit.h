/*
 * audit.h — what the audit files share (ruhu/audit.h is the public side):
 * the replica opened for reading, the signers' keys with their dates, the
 * commit graph in memory, the graph drawing, one commit read as an entry,
 * and decisions.txt read back.
 *
 * Design notes
 *  1. Commits are numbered by their place in `struct audit_dag` (uint32_t);
 *     AUDIT_NONE means "no commit".  The dag holds only what ordering and
 *     drawing need (ids, parents, times); everything else is read from the
 *     commit when it is shown (libgit2 caches commits).
 *  2. The drawing (audit_graph.c) follows the rules of git's graph.c, state
 *     by state, so that the shape equals `git log --graph` on an export of
 *     the same history; tests compare the two.
 *  3. A signature is judged in two steps: the SSH signature is checked over
 *     the commit (audit_sig_check: pure computation, safe on any thread),
 *     then the key and the time are judged against `_signers`
 *     (audit_keys_judge).
 */
#ifndef RUHU_SYNC_AUDIT_H
#define RUHU_SYNC_AUDIT_H

#include <stdint.h>

#include <git2.h>

#include "core/commit.h"
#include "core/replica.h"
#include "ruhu/audit.h"
#include "ruhu/schema.h"

#define AUDIT_NONE UINT32_MAX

/* ---- the signers (audit_keys.c) ---- */

struct audit_key {
	char id[RUHU_ID_SIZE];
	char role[16];        /* "self", "hub", "device" */
	unsigned char key[32];
	int64_t added_ms;
	int64_t revoked_ms;   /* 0: not revoked */
	char reason[128];
};

struct audit_keys {
	struct audit_key *v;
	size_t n;
};

int audit_keys_load(struct audit_keys *k, sqlite3 *db);
void audit_keys_release(struct audit_keys *k);

/* The outcome of checking an SSH signature over a commit (note 3). */
struct audit_sig {
	ruhu_sig_status status;      /* GOOD here means "verifies over the commit" */
	int has_signer;
	unsigned char signer[32];
};

/* Check the signature of commit `id`: read it, extract and verify.  A
 * commit that cannot be read is an error (RUHU_ENOTFOUND, RUHU_ECORRUPT). */
int audit_sig_read(ruhu_buf *sig, ruhu_buf *data, git_repository *repo, const git_oid *id,
		   int *unsigned_out);
void audit_sig_check(struct audit_sig *out, const ruhu_buf *sig, const ruhu_buf *data);

/*
 * The letter of ruhu/audit.h design note 5 and, when it is not G, a note and
 * a problem kind ("unknown-key", ...).  `maker` is the Ruhu-Device trailer;
 * `own_ms` the commit's committer time; `merged_ms` the time the hub merged
 * it (-1: not merged); `check_added`: compare the merge time with the
 * enrolment date (only meaningful on the hub); `tz` the zone of the dates
 * in the note.
 */
char audit_keys_judge(char *note, size_t notesize, const char **kind, const struct audit_keys *k,
		      const char *maker, const struct audit_sig *s, int64_t own_ms, int64_t merged_ms,
		      int check_added, int tz);

/* ---- the replica, opened for an audit (audit_keys.c) ---- */

struct audit_ctx {
	ruhu_replica *r;
	sqlite3 *db;
	git_repository *repo;
	const ruhu_schema *schema;
	int hub;                       /* a hub (else a tablet) */
	int tz;                        /* the centre's zone, minutes east of UTC */
	char self[RUHU_ID_SIZE];
	struct audit_keys keys;
};

int audit_ctx_open(struct audit_ctx *c, ruhu_replica *r);
void audit_ctx_close(struct audit_ctx *c);

/* The tips of the history (ruhu/audit.h design note 3): the hub's main, or
 * the tablet's branch and the hub main it knows (those that exist), in that
 * order.  *main_out (may be NULL) gets main's tip, *has_main whether any. */
int audit_tips(git_oid *tips, size_t *ntips, int *has_main, git_oid *main_out, struct audit_ctx *c);

/* ---- the commit graph in memory (audit_dag.c) ---- */

struct audit_node {
	git_oid oid;
	int64_t time;          /* committer time, seconds */
	int64_t merged_at;     /* committer time of the merge that took it in, -1: none */
	uint32_t parents;      /* offset into dag->par */
	uint32_t nparents;
	uint32_t flags;
};

#define AUDIT_NODE_MISSING 1u  /* listed as a parent, not in the store */
#define AUDIT_NODE_SHOWN 2u
#define AUDIT_NODE_MAIN 4u     /* on main's first-parent chain */

struct audit_dag {
	struct audit_node *v;
	size_t n, cap;
	uint32_t *par;
	size_t npar, cappar;
	uint32_t *slots;       /* open addressing: index + 1, 0 empty */
	size_t nslots;
};

/* Called for a commit that cannot be read (missing or corrupt): `child`
 * is the commit that names it (NULL for a tip).  Return 0 to go on (the
 * node is kept, flagged missing, without parents), negative to stop. */
typedef int (*audit_missing_cb)(const git_oid *id, const git_oid *child, int error, void *payload);

/* Load every commit reachable from the tips.  Without `missing` a commit
 * that cannot be read fails the load. */
int audit_dag_load(struct audit_dag *d, git_repository *repo, const git_oid *tips, size_t ntips,
		   audit_missing_cb missing, void *payload);
void audit_dag_release(struct audit_dag *d);
uint32_t audit_dag_find(const struct audit_dag *d, const git_oid *id);
static inline const uint32_t *audit_dag_parents(const struct audit_dag *d, uint32_t i)
{
	return d->par + d->v[i].parents;
}
/* Mark main's first-parent chain from `tip` (AUDIT_NODE_MAIN) and the
 * merge times of the commits main's merges took in. */
void audit_dag_mark_main(struct audit_dag *d, uint32_t tip);

/* The order of `git log --graph` (topological, a merge's later parents
 * first) over the nodes flagged SHOWN, with the parents of node i at
 * par[pidx[i]] .. par[pidx[i] + pcount[i] - 1] (the dag's own, or
 * rewritten ones).  *out is malloc()ed, *n entries. */
int audit_topo_order(uint32_t **out, size_t *n, const struct audit_dag *d, const uint32_t *pidx,
		     const uint32_t *pcount, const uint32_t *par);

/* ---- the graph drawing (audit_graph.c, note 2) ---- */

struct audit_graph;
int audit_graph_new(struct audit_graph **out);
void audit_graph_free(struct audit_graph *g);
/* Draw commit `c` with its shown parents: the lines before its line (each
 * with "\n"), the graph on its line, the lines after it (each with "\n"). */
int audit_graph_next(struct audit_graph *g, uint32_t c, const uint32_t *parents, size_t n,
		     ruhu_buf *before, ruhu_buf *line, ruhu_buf *after);

/* ---- one commit as an entry (audit_entry.c) ---- */

struct audit_commit {
	ruhu_audit_entry e;
	git_commit *c;
	ruhu_trailers tr;
	char merge_of[RUHU_ID_SIZE];
	char note[256];
	const char *problem;           /* problem kind of the signature, NULL when G */
};

/* Read commit `id` into `out` (to release with audit_commit_release) and
 * judge its signature; `merged_at` is the committer time (seconds) of the
 * merge that took it in, -1 when none. */
int audit_commit_load(struct audit_commit *out, struct audit_ctx *c, const git_oid *id,
		      int64_t merged_at);
void audit_commit_release(struct audit_commit *ac);
/* The kind of ruhu_audit_entry from a commit's trailers and its maker's
 * role among the signers. */
const char *audit_commit_kind(const struct audit_ctx *c, const ruhu_trailers *tr);

/* A blob of a commit's tree into `out` (cleared first); "" when missing. */
int audit_read_part(ruhu_buf *out, git_repository *repo, const git_oid *id, const char *path);

/* ---- the history of records (audit_history.c) ---- */

struct audit_target {
	const char *type;
	const char *id;
};

/* Called for each version of target number `target`; a non-zero return
 * stops the walk and is returned. */
typedef int (*audit_version_fn)(size_t target, const ruhu_audit_version *v, void *payload);

/* Walk main's first-parent history oldest first (on a tablet, then its
 * pending saves) and report every version of every target. */
int audit_history_walk(struct audit_ctx *c, const struct audit_target *targets, size_t n,
		       audit_version_fn fn, void *payload);

/* ---- decisions.txt read back (audit_decisions.c) ---- */

struct audit_decisions {
	ruhu_audit_decision *v;
	size_t n;
	char *text;                    /* the unescaped fields, NUL-separated */
};

/* Parse decisions.txt (docs/merge.md §6); a malformed line is
 * RUHU_ECORRUPT naming it. */
int audit_decisions_parse(struct audit_decisions *out, const char *text, size_t len);
void audit_decisions_release(struct audit_decisions *d);

/* ---- values (audit_decisions.c) ---- */

/* An owned copy of a changeset value as a ruhu_value (text and blob bytes
 * malloc()ed and NUL-terminated; free with audit_value_clear). */
int audit_value_from_cval(ruhu_value *out, const void *cval);
void audit_value_clear(ruhu_value *v);
/* Append a value as changes.txt writes it. */
int audit_value_text(ruhu_buf *out, const ruhu_value *v);

/* ---- dates ---- */
/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
int64_t audit_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
