/*
 * audit_log.c — `ruhu audit log` and `ruhu audit show`: the history read
 * back from its commits, drawn as `git log --graph` draws it (see
 * ruhu/audit.h).
 *
 * Design notes
 *  1. The whole history is loaded as a graph first (audit_dag.c), ordered
 *     as git orders it, then each commit is read and judged as it is shown.
 *  2. Filters (--since, --device, --worker) keep a commit or leave it out;
 *     a kept commit's parents are rewritten to its nearest kept ancestors
 *     along each parent, so the graph stays connected.  Such a set of
 *     ancestors is capped at REWRITE_MAX commits (lines beyond are dropped
 *     from the drawing, never from the list).
 *  3. `show` judges a tablet's save at the time of the merge that took it in
 *     (ruhu/audit.h, note 5): `_merged` names that merge, and the merge is
 *     read to check that it really has the save as its second parent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/meta.h"
#include "core/odb.h"
#include "sync/audit.h"

#define REWRITE_MAX 64

int ruhu_audit_log_opts_init(ruhu_audit_log_opts *opts, unsigned int version)
{
	if (version != RUHU_AUDIT_LOG_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "audit log options version %u is not known", version);
	memset(opts, 0, sizeof(*opts));
	opts->version = version;
	return 0;
}

static int digits(int *out, const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int ruhu_audit_parse_time(int64_t *out, ruhu_replica *r, const char *text)
{
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, s = 0, zh, zm, sign;
	int64_t tz = 480, zone;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int error;

	*out = 0;
	if (text == NULL || digits(&y, &p, 4) < 0 || *p++ != '-' || digits(&mo, &p, 2) < 0 ||
	    *p++ != '-' || digits(&d, &p, 2) < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
		goto bad;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(&h, &p, 2) < 0 || *p++ != ':' || digits(&mi, &p, 2) < 0 || h > 23 || mi > 59)
			goto bad;
		if (*p == ':' && (p++, digits(&s, &p, 2) < 0 || s > 59))
			goto bad;
	}
	if ((error = ruhu_meta_int_or(&tz, ruhu_replica_db(r), "tz_minutes", 480)) < 0)
		return error;
	zone = tz;
	if (*p == 'Z') {
		zone = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&zh, &p, 2) < 0 || *p++ != ':' || digits(&zm, &p, 2) < 0 || zh > 14 || zm > 59)
			goto bad;
		zone = sign * (zh * 60 + zm);
	}
	if (*p != '\0')
		goto bad;
	*out = audit_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s -
	       zone * 60;
	return 0;
bad:
	return ruhu_error_set(RUHU_EINVALID, "'%s' is not a date (YYYY-MM-DD, or YYYY-MM-DDTHH:MM with "
			      "an optional zone such as +08:00)", text ? text : "");
}

/* Does commit `id` pass the filters? */
static int wanted(int *out, struct audit_ctx *c, const git_oid *id, const ruhu_audit_log_opts *o)
{
	git_commit *cm = NULL;
	ruhu_trailers tr = RUHU_TRAILERS_INIT;
	const char *v;
	int error;

	*out = 1;
	if ((error = git_commit_lookup(&cm, c->repo, id)) < 0)
		return ruhu_git_error(error, "cannot read commit %s", git_oid_tostr_s(id));
	if (o->since && git_commit_time(cm) < o->since)
		*out = 0;
	if (*out && (o->device || o->worker) &&
	    (error = ruhu_trailers_parse(&tr, git_commit_message(cm))) < 0)
		goto done;
	if (*out && o->worker && ((v = ruhu_trailers_get(&tr, "Ruhu-Worker")) == NULL || strcmp(v, o->worker)))
		*out = 0;
	if (*out && o->device) {
		const char *mo = ruhu_trailers_get(&tr, "Ruhu-Merge-Of");
		size_t n = strlen(o->device);

		v = ruhu_trailers_get(&tr, "Ruhu-Device");
		if (!(v && !strcmp(v, o->device)) &&
		    !(mo && !strncmp(mo, o->device, n) && (mo[n] == ' ' || mo[n] == '\0')))
			*out = 0;
	}
done:
	ruhu_trailers_dispose(&tr);
	git_commit_free(cm);
	return error;
}

/* Design note 2: parents rewritten to the nearest shown ancestors. */
static int rewrite(uint32_t **pidx, uint32_t **pcount, uint32_t **par, const struct audit_dag *d)
{
	uint32_t *order = NULL, *roff = NULL, *rcnt = NULL, *pool = NULL, *np = NULL;
	uint32_t *noff = NULL, *ncnt = NULL, *idx = NULL, *cnt = NULL;
	size_t norder, npool = 0, cpool = 0, nnp = 0, cnp = 0;
	struct audit_dag all = *d;
	struct audit_node *v = NULL;
	int error;

	*pidx = *pcount = *par = NULL;
	/* the order over every node (all flagged shown for the sort) */
	if ((v = malloc((d->n ? d->n : 1) * sizeof(*v))) == NULL ||
	    (idx = malloc((d->n ? d->n : 1) * sizeof(*idx))) == NULL ||
	    (cnt = malloc((d->n ? d->n : 1) * sizeof(*cnt))) == NULL ||
	    (roff = calloc(d->n ? d->n : 1, sizeof(*roff))) == NULL ||
	    (rcnt = calloc(d->n ? d->n : 1, sizeof(*rcnt))) == NULL ||
	    (noff = calloc(d->n ? d->n : 1, sizeof(*noff))) == NULL ||
	    (ncnt = calloc(d->n ? d->n : 1, sizeof(*ncnt))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	for (size_t i = 0; i < d->n; i++) {
		v[i] = d->v[i];
		v[i].flags |= AUDIT_NODE_SHOWN;
		idx[i] = d->v[i].parents;
		cnt[i] = d->v[i].nparents;
	}
	all.v = v;
	if ((error = audit_topo_order(&order, &norder, &all, idx, cnt, d->par)) < 0)
		goto done;
	/* parents before children: the order reversed */
	for (size_t k = norder; k-- > 0;) {
		uint32_t i = order[k];
		const uint32_t *p = audit_dag_parents(d, i);
		size_t start = d->v[i].flags & AUDIT_NODE_SHOWN ? nnp : npool;

		for (uint32_t j = 0; j < d->v[i].nparents; j++) {
			for (uint32_t q = 0; q < rcnt[p[j]]; q++) {
				uint32_t a = pool[roff[p[j]] + q];
				size_t have = (d->v[i].flags & AUDIT_NODE_SHOWN ? nnp : npool) - start, dup = 0;
				uint32_t *base = d->v[i].flags & AUDIT_NODE_SHOWN ? np + start : pool + start;

				for (size_t z = 0; z < have && !dup; z++)
					dup = base[z] == a;
				if (dup || have >= REWRITE_MAX)
					continue;
				if (d->v[i].flags & AUDIT_NODE_SHOWN) {
					if (nnp == cnp) {
						uint32_t *g = realloc(np, (cnp = cnp ? cnp * 2 : 1024) * sizeof(*g));

						if (g == NULL) {
							error = ruhu_error_oom();
							goto done;
						}
						np = g;
					}
					np[nnp++] = a;
				} else {
					if (npool == cpool) {
						uint32_t *g = realloc(pool, (cpool = cpool ? cpool * 2 : 1024) * sizeof(*g));

						if (g == NULL) {
							error = ruhu_error_oom();
							goto done;
						}
						pool = g;
					}
					pool[npool++] = a;
				}
			}
		}
		if (d->v[i].flags & AUDIT_NODE_SHOWN) {
			noff[i] = (uint32_t)start;
			ncnt[i] = (uint32_t)(nnp - start);
			/* a shown commit stands for itself */
			if (npool == cpool) {
				uint32_t *g = realloc(pool, (cpool = cpool ? cpool * 2 : 1024) * sizeof(*g));

				if (g == NULL) {
					error = ruhu_error_oom();
					goto done;
				}
				pool = g;
			}
			roff[i] = (uint32_t)npool;
			rcnt[i] = 1;
			pool[npool++] = i;
		} else {
			roff[i] = (uint32_t)start;
			rcnt[i] = (uint32_t)(npool - start);
		}
	}
	*pidx = noff;
	*pcount = ncnt;
	*par = np;
	noff = ncnt = np = NULL;
	if (*par == NULL && (*par = malloc(sizeof(**par))) == NULL)
		error = ruhu_error_oom();
done:
	free(order);
	free(roff);
	free(rcnt);
	free(pool);
	free(np);
	free(noff);
	free(ncnt);
	free(idx);
	free(cnt);
	free(v);
	return error;
}

int ruhu_audit_log(ruhu_replica *r, const ruhu_audit_log_opts *opts, ruhu_audit_log_cb cb,
		   void *payload)
{
	ruhu_audit_log_opts none = RUHU_AUDIT_LOG_OPTS_INIT;
	struct audit_ctx c;
	struct audit_dag d;
	struct audit_graph *g = NULL;
	struct audit_commit ac;
	git_oid tips[2], main;
	size_t ntips, norder = 0;
	uint32_t *order = NULL, *pidx = NULL, *pcount = NULL, *par = NULL;
	ruhu_buf before = RUHU_BUF_INIT, line = RUHU_BUF_INIT, after = RUHU_BUF_INIT;
	int has_main, filtered, error;

	memset(&d, 0, sizeof(d));
	memset(&ac, 0, sizeof(ac));
	if (opts == NULL)
		opts = &none;
	if (opts->version != RUHU_AUDIT_LOG_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "audit log options version %u is not known", opts->version);
	if ((error = audit_ctx_open(&c, r)) < 0)
		return error;
	filtered = opts->since || opts->device || opts->worker;
	if ((error = audit_tips(tips, &ntips, &has_main, &main, &c)) < 0 ||
	    (error = audit_dag_load(&d, c.repo, tips, ntips, NULL, NULL)) < 0)
		goto done;
	if (has_main)
		audit_dag_mark_main(&d, audit_dag_find(&d, &main));
	for (size_t i = 0; i < d.n; i++) {
		int keep = 1;

		if (filtered && (error = wanted(&keep, &c, &d.v[i].oid, opts)) < 0)
			goto done;
		if (keep)
			d.v[i].flags |= AUDIT_NODE_SHOWN;
	}
	if (filtered) {
		if ((error = rewrite(&pidx, &pcount, &par, &d)) < 0)
			goto done;
	} else {
		if ((pidx = malloc((d.n ? d.n : 1) * sizeof(*pidx))) == NULL ||
		    (pcount = malloc((d.n ? d.n : 1) * sizeof(*pcount))) == NULL) {
			error = ruhu_error_oom();
			goto done;
		}
		for (size_t i = 0; i < d.n; i++) {
			pidx[i] = d.v[i].parents;
			pcount[i] = d.v[i].nparents;
		}
	}
	if ((error = audit_topo_order(&order, &norder, &d, pidx, pcount, filtered ? par : d.par)) < 0)
		goto done;
	if ((opts->flags & RUHU_AUDIT_GRAPH) && (error = audit_graph_new(&g)) < 0)
		goto done;
	for (size_t k = 0; k < norder; k++) {
		uint32_t i = order[k];

		if ((error = audit_commit_load(&ac, &c, &d.v[i].oid, d.v[i].merged_at)) < 0)
			goto done;
		if (g) {
			ruhu_buf_clear(&before);
			ruhu_buf_clear(&after);
			if ((error = audit_graph_next(g, i, (filtered ? par : d.par) + pidx[i], pcount[i],
						      &before, &line, &after)) < 0)
				goto done;
			ac.e.graph_before = before.ptr ? before.ptr : "";
			ac.e.graph = line.ptr ? line.ptr : "";
			ac.e.graph_after = after.ptr ? after.ptr : "";
		}
		error = cb(&ac.e, payload);
		audit_commit_release(&ac);
		if (error)
			goto done;
	}
done:
	audit_commit_release(&ac);
	audit_graph_free(g);
	free(order);
	free(pidx);
	free(pcount);
	free(par);
	ruhu_buf_dispose(&before);
	ruhu_buf_dispose(&line);
	ruhu_buf_dispose(&after);
	audit_dag_release(&d);
	audit_ctx_close(&c);
	return error;
}

/* ---- show ---- */

/* The time of the merge that took device commit `id` in (note 3), or -1. */
static int64_t merged_at(struct audit_ctx *c, const git_oid *id)
{
	sqlite3_stmt *st = NULL;
	git_commit *m = NULL;
	git_oid mc;
	int64_t t = -1;

	if (!c->hub || sqlite3_prepare_v2(c->db, "SELECT merge_commit FROM _merged WHERE device_commit = ?1",
					  -1, &st, NULL) != SQLITE_OK)
		goto done;
	sqlite3_bind_blob(st, 1, id->id, GIT_OID_RAWSZ, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_bytes(st, 0) != GIT_OID_RAWSZ)
		goto done;
	git_oid_fromraw(&mc, sqlite3_column_blob(st, 0));
	if (git_commit_lookup(&m, c->repo, &mc) == 0 && git_commit_parentcount(m) >= 2 &&
	    git_oid_equal(git_commit_parent_id(m, 1), id))
		t = git_commit_time(m);
done:
	git_commit_free(m);
	sqlite3_finalize(st);
	return t;
}

int ruhu_audit_show(ruhu_replica *r, const char *rev,
		    int (*cb)(const ruhu_audit_commit *c, void *payload), void *payload)
{
	struct audit_ctx c;
	struct audit_commit ac, dc;
	struct audit_decisions dec;
	ruhu_audit_commit out;
	ruhu_buf changes = RUHU_BUF_INIT, dchanges = RUHU_BUF_INIT, dtext = RUHU_BUF_INIT;
	git_object *obj = NULL;
	git_oid oid;
	size_t len = rev ? strlen(rev) : 0;
	int error;

	memset(&ac, 0, sizeof(ac));
	memset(&dc, 0, sizeof(dc));
	memset(&dec, 0, sizeof(dec));
	memset(&out, 0, sizeof(out));
	if (len < 4 || len > GIT_OID_HEXSZ || git_oid_fromstrn(&oid, rev, len) < 0)
		return ruhu_error_set(RUHU_EINVALID, "'%s' is not a commit id (4 to 40 hex digits)", rev ? rev : "");
	if ((error = audit_ctx_open(&c, r)) < 0)
		return error;
	if ((error = git_object_lookup_prefix(&obj, c.repo, &oid, len, GIT_OBJECT_COMMIT)) < 0) {
		if (error == GIT_EAMBIGUOUS)
			error = ruhu_error_set(RUHU_EINVALID, "commit id '%s' is ambiguous: give more digits", rev);
		else
			error = ruhu_error_set(RUHU_ENOTFOUND, "no commit %s", rev);
		goto done;
	}
	oid = *git_object_id(obj);
	if ((error = audit_commit_load(&ac, &c, &oid, merged_at(&c, &oid))) < 0 ||
	    (error = audit_read_part(&changes, c.repo, &oid, "changes.txt")) < 0 ||
	    (error = audit_read_part(&dtext, c.repo, &oid, "decisions.txt")) < 0 ||
	    (error = audit_decisions_parse(&dec, dtext.ptr, dtext.size)) < 0)
		goto done;
	out.entry = ac.e;
	out.changes = changes.ptr ? changes.ptr : "";
	out.merged_changes = "";
	if (!strcmp(ac.e.kind, "merge") && git_commit_parentcount(ac.c) >= 2) {
		const git_oid *p = git_commit_parent_id(ac.c, 1);

		if ((error = audit_commit_load(&dc, &c, p, git_commit_time(ac.c))) < 0 ||
		    (error = audit_read_part(&dchanges, c.repo, p, "changes.txt")) < 0)
			goto done;
		out.merged = &dc.e;
		out.merged_changes = dchanges.ptr ? dchanges.ptr : "";
	}
	out.decisions = dec.v;
	out.ndecisions = dec.n;
	error = cb(&out, payload);
done:
	git_object_free(obj);
	audit_commit_release(&ac);
	audit_commit_release(&dc);
	audit_decisions_release(&dec);
	ruhu_buf_dispose(&changes);
	ruhu_buf_dispose(&dchanges);
	ruhu_buf_dispose(&dtext);
	audit_ctx_close(&c);
	return error;
}
