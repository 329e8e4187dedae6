/*
 * audit_verify.h — what the two halves of `audit verify` share: the state
 * of one verification and the checks of audit_verify.c, which
 * audit_verify_run.c drives.
 */
#ifndef RUHU_SYNC_AUDIT_VERIFY_H
#define RUHU_SYNC_AUDIT_VERIFY_H

#include "sync/audit.h"

enum { ST_OBJECTS, ST_SIGNATURES, ST_REPLAY, ST_ROWS };

struct refname {
	git_oid oid;
	char *name;
};

struct oidset {
	git_oid *v;
	size_t n, cap;
};

struct verify {
	struct audit_ctx c;
	ruhu_audit_verify_report *rep;
	const ruhu_audit_verify_opts *opts;
	struct audit_dag d;
	struct refname *refs;
	size_t nrefs;
	struct audit_sig *sigs;        /* per node */
	unsigned char *sigstate;       /* per node: 0 none, 1 queued, 2 unsigned */
	uint32_t *maker;               /* per node: index into makers, AUDIT_NONE */
	char **makers;
	size_t nmakers;
	int *stage;                    /* per problem */
	struct oidset seen;
	struct audit_sigpool *pool;
	git_odb *odb;
	size_t done;
};

/* Add a problem (at most RUHU_AUDIT_MAX_PROBLEMS are kept, the rest
 * counted); `stage` orders the list. */
int verify_problem(struct verify *v, int stage, const char *kind, const git_oid *commit, const char *type,
		   const char *id, const char *field, const char *expected, const char *found,
		   const char *fmt, ...) __attribute__((format(printf, 10, 11)));
/* Problems in stage order, keeping the order within a stage. */
void verify_sort_problems(struct verify *v);
/* ruhu_refs_foreach callback: keep every ref. */
int verify_take_ref(const char *name, const git_oid *oid, void *payload);
/* audit_dag_load's callback: a commit that cannot be read is a problem. */
int verify_on_missing(const git_oid *id, const git_oid *child, int error, void *payload);
/* Objects and signature of node `i` (queued on v->pool); its changeset into
 * `cs` when not NULL; *ok = 0 when one of its objects is missing. */
int verify_check_commit(int *ok, struct verify *v, uint32_t i, ruhu_buf *cs);
/* Judge every queued signature (after the pool finished). */
int verify_judge_all(struct verify *v);

#endif
