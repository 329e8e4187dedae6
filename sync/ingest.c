/*
 * ingest.c — the hub takes in a tablet's bundle and merges it into main
 * (docs/sync.md §3 and §4).  The walk over a bundle's device commits and
 * their checks are in ingest_walk.c.
 *
 * Design notes
 *  1. Refusals come before any change: an envelope that is not a device
 *     bundle for this hub, from an enrolled device that is not revoked,
 *     intact and signed by that device, is refused with its own message and
 *     nothing is kept.  Then the pack goes into the store and every new
 *     device commit is checked (signed by the device's key, made by it, with
 *     this hub's schema, sequence numbers following the last merged one) in
 *     the same transaction: one bad commit refuses the whole bundle.
 *  2. A bundle whose prerequisites have not arrived waits, encrypted as it
 *     came, in `_inbox`; every later ingest retries the waiting bundles.
 *  3. Each device commit not merged before is merged oldest first, under a
 *     savepoint of its own: the merge (sync/merge.h), the merge commit
 *     (core/save.h: parents previous main and the device commit; tree with
 *     the net changeset and decisions.txt; the device commit's author, HLC,
 *     worker and visit), its review items, `_merged` and `_devices`.  A
 *     commit found in `_merged` is a duplicate and is skipped.
 *  4. An ingest is one transaction: storing the bundle, merging its
 *     commits and letting in the waiting bundles it released either all
 *     happen or none does (a power loss or an error half-way leaves the hub
 *     as it was; ingesting the bundle again does all of it).  A dry run
 *     (`hub preview`) does the same and rolls it back: nothing is kept, the
 *     decisions are reported.
 */
#include <ctype.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "core/commit.h"
#include "core/hlc.h"
#include "core/identity.h"
#include "core/meta.h"
#include "core/odb.h"
#include "core/refs.h"
#include "core/save.h"
#include "core/trust.h"
#include "sync/hub.h"
#include "sync/merge.h"
#include "sync/ingest_int.h"
#include "sync/sync_int.h"

int ruhu_ingest_opts_init(ruhu_ingest_opts *opts, unsigned int version)
{
	if (version != RUHU_INGEST_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "ingest options version %u is not known", version);
	memset(opts, 0, sizeof(*opts));
	opts->version = version;
	return 0;
}

void ruhu_ingest_report_dispose(ruhu_ingest_report *rep)
{
	ruhu_buf_dispose(&rep->preview);
}


/* Savepoints inside the ingest's transaction (design notes 3 and 4). */
static int tx_begin(struct ctx *c)
{
	return ruhu_replica_savepoint(c->hub, "ruhu_ingest");
}

static int tx_commit(struct ctx *c)
{
	return ruhu_replica_release(c->hub, "ruhu_ingest");
}

static void tx_rollback(struct ctx *c)
{
	char msg[1024];
	int code = ruhu_error_last_code();

	/* the error being handled is the one to report, whatever happens here */
	snprintf(msg, sizeof(msg), "%s", ruhu_error_last());
	/* an I/O error, a full disk or out of memory may have made SQLite roll
	 * the whole transaction back already: then there is no savepoint */
	if (!sqlite3_get_autocommit(c->db))
		ruhu_replica_rollback_to(c->hub, "ruhu_ingest");
	ruhu_replica_repo_reset(c->hub);
	ruhu_replica_repo(&c->repo, c->hub);
	if (code < 0)
		ruhu_error_set(code, "%s", msg);
}

static void tally(ruhu_ingest_report *rep, const char *rule)
{
	size_t i;

	for (i = 0; i < rep->nrules; i++)
		if (!strcmp(rep->rules[i].rule, rule))
			break;
	if (i == rep->nrules) {
		if (i == RUHU_INGEST_MAX_RULES)
			return;
		snprintf(rep->rules[i].rule, sizeof(rep->rules[i].rule), "%s", rule);
		rep->nrules++;
	}
	rep->rules[i].count++;
}





/*
 * The subject of a device commit as git_commit_summary gives it (the first
 * paragraph on one line: a whitespace run with a newline becomes one space,
 * others stay).  libgit2 1.5.1's own returns "" when it runs out of memory,
 * which would make a merge commit with the wrong subject.
 */
static int summary_of(ruhu_buf *out, const char *msg)
{
	const char *space = NULL;
	int newline = 0, error = 0;

	for (; *msg && error == 0; msg++) {
		if (*msg == '\n') {
			const char *next = msg + 1;

			while (*next && *next != '\n' && isspace((unsigned char)*next))
				next++;
			if (!*next || *next == '\n')
				break;
		}
		if (isspace((unsigned char)*msg)) {
			if (space == NULL) {
				space = msg;
				newline = 0;
			}
			newline |= *msg == '\n';
			continue;
		}
		if (space)
			error = newline ? ruhu_buf_putc(out, ' ') : ruhu_buf_put(out, space, (size_t)(msg - space));
		space = NULL;
		if (error == 0)
			error = ruhu_buf_putc(out, *msg);
	}
	return error;
}

static int store_reviews(struct ctx *c, const ruhu_merge_result *res, const git_oid *dc,
			 const git_oid *mc, const char *worker)
{
	sqlite3_stmt *st = NULL;
	int rc, error = 0;

	if (res->nreviews == 0)
		return 0;
	if ((rc = sqlite3_prepare_v2(c->db, "INSERT INTO _review(kind, type, record_id, field, base, hub, "
				     "device, base_set, change, other_id, note, device_id, worker, "
				     "device_commit, merge_commit, opened_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, "
				     "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)", -1, &st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(c->db, rc, "open review items");
	for (size_t i = 0; i < res->nreviews; i++) {
		const ruhu_merge_review *rv = &res->reviews[i];

		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		sqlite3_bind_text(st, 1, rv->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, rv->type, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, rv->id, -1, SQLITE_STATIC);
		if (rv->field)
			sqlite3_bind_text(st, 4, rv->field, -1, SQLITE_STATIC);
		/* a copy that fails is out of memory, not a NULL value */
		if ((error = ruhu_cval_bind(st, 5, &rv->base)) < 0 ||
		    (error = ruhu_cval_bind(st, 6, &rv->hub)) < 0 ||
		    (error = ruhu_cval_bind(st, 7, &rv->device)) < 0)
			break;
		sqlite3_bind_int(st, 8, rv->base.type != RUHU_CVAL_UNDEFINED);
		if (rv->change_len)
			sqlite3_bind_blob(st, 9, rv->change, (int)rv->change_len, SQLITE_STATIC);
		if (rv->other_id)
			sqlite3_bind_text(st, 10, rv->other_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 11, rv->note ? rv->note : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 12, c->dev.id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 13, worker, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 14, dc->id, GIT_OID_RAWSZ, SQLITE_STATIC);
		sqlite3_bind_blob(st, 15, mc->id, GIT_OID_RAWSZ, SQLITE_STATIC);
		sqlite3_bind_int64(st, 16, ruhu_replica_now_ms(c->hub));
		if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
			error = ruhu_sql_error(c->db, rc, "open a review item");
			break;
		}
	}
	sqlite3_finalize(st);
	return error;
}

static int run_sql(sqlite3 *db, const char *sql, const void *b1, int n1, int64_t i2, const char *t3,
		   int64_t i4)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "update the hub's bookkeeping");
	if (b1)
		sqlite3_bind_blob(st, 1, b1, n1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, i2);
	if (t3)
		sqlite3_bind_text(st, 3, t3, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, i4);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ruhu_sql_error(db, rc, "update the hub's bookkeeping");
}

static int record_merge(sqlite3 *db, const git_oid *dc, const git_oid *mc, const char *device,
			int64_t seq)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, "INSERT INTO _merged(device_commit, merge_commit, device, seq) "
				     "VALUES(?1, ?2, ?3, ?4)", -1, &st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "record the merge");
	sqlite3_bind_blob(st, 1, dc->id, GIT_OID_RAWSZ, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, mc->id, GIT_OID_RAWSZ, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, seq);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ruhu_sql_error(db, rc, "record the merge");
}

/* Design note 3: merge one device commit into main. */
static int merge_one(struct ctx *c, const git_oid *dc)
{
	git_commit *cm = NULL;
	ruhu_buf cs = RUHU_BUF_INIT, v = RUHU_BUF_INIT, worker = RUHU_BUF_INIT, visit = RUHU_BUF_INIT,
		 dec = RUHU_BUF_INIT, subject = RUHU_BUF_INIT, mergeof = RUHU_BUF_INIT, nrev = RUHU_BUF_INIT;
	ruhu_merge_opts mo = RUHU_MERGE_OPTS_INIT;
	ruhu_merge_result *res = NULL;
	ruhu_save_spec spec = { 0 };
	ruhu_save_info info;
	ruhu_tree_entry entry;
	ruhu_trailer tr[2];
	git_oid mc;
	int64_t seq;
	int error, began = 0;

	if ((error = ingest_seq_of(&seq, c->repo, dc)) < 0)
		goto done;
	if ((error = git_commit_lookup(&cm, c->repo, dc)) < 0) {
		error = ruhu_git_error(error, "cannot read a device commit");
		goto done;
	}
	if ((error = ruhu_commit_read_path(&cs, c->repo, dc, "changeset")) < 0 ||
	    (error = ruhu_commit_trailer(&v, c->repo, dc, "Ruhu-HLC")) < 0 ||
	    (error = ruhu_hlc_parse(&mo.hlc, v.ptr, v.size)) < 0)
		goto done;
	if ((error = ruhu_commit_trailer_opt(&worker, c->repo, dc, "Ruhu-Worker")) < 0 ||
	    (error = ruhu_commit_trailer_opt(&visit, c->repo, dc, "Ruhu-Visit")) < 0)
		goto done;
	if ((error = tx_begin(c)) < 0)
		goto done;
	began = 1;
	mo.mode = RUHU_MERGE_HUB;
	mo.origin = c->dev.id;
	mo.worker = worker.size ? worker.ptr : NULL;
	if ((error = ruhu_merge_apply(&res, c->db, c->schema, cs.ptr, cs.size, &mo)) < 0 ||
	    (error = ruhu_merge_decisions_text(&dec, res)) < 0 ||
	    (error = ruhu_blob_write(&entry.oid, c->repo, dec.ptr ? dec.ptr : "", dec.size)) < 0)
		goto done;
	entry.path = "decisions.txt";
	entry.mode = 0;
	/* an author's name or email is NULL only when libgit2 ran out of memory
	 * (1.5.1 parses a signature without checking its copies): the merge
	 * commit must not lose the device commit's author */
	if (git_commit_author(cm) == NULL || git_commit_author(cm)->name == NULL ||
	    git_commit_author(cm)->email == NULL) {
		error = ruhu_error_set(RUHU_ENOMEM, "cannot read device commit %s: out of memory",
				       git_oid_tostr_s(dc));
		goto done;
	}
	if ((error = ruhu_buf_printf(&subject, "merge %s #%lld: ", c->dev.id, (long long)seq)) < 0 ||
	    (error = summary_of(&subject, git_commit_message(cm))) < 0 ||
	    (error = ruhu_buf_printf(&mergeof, "%s %lld", c->dev.id, (long long)seq)) < 0 ||
	    (error = ruhu_buf_printf(&nrev, "%zu", res->nreviews)) < 0)
		goto done;
	tr[0].key = "Ruhu-Merge-Of";
	tr[0].value = mergeof.ptr;
	tr[1].key = "Ruhu-Review";
	tr[1].value = nrev.ptr;
	spec.changeset = res->net.ptr;
	spec.len = res->net.size;
	spec.subject = subject.ptr;
	spec.extra = &entry;
	spec.nextra = 1;
	spec.trailers = tr;
	spec.ntrailers = 2;
	spec.merge_parent = dc;
	spec.author_name = git_commit_author(cm)->name;
	spec.author_email = git_commit_author(cm)->email;
	spec.worker_id = worker.size ? worker.ptr : "";
	spec.visit_id = visit.size ? visit.ptr : "";
	spec.hlc = mo.hlc;
	if ((error = ruhu_save_commit(&info, c->hub, &spec)) < 0 ||
	    git_oid_fromstr(&mc, info.id) < 0 ||
	    (error = store_reviews(c, res, dc, &mc, worker.ptr)) < 0 ||
	    (error = record_merge(c->db, dc, &mc, c->dev.id, seq)) < 0)
		goto done;
	if ((error = run_sql(c->db, "UPDATE _devices SET last_seq = ?2 WHERE id = ?3", NULL, 0, seq,
			     c->dev.id, 0)) < 0 ||
	    (error = tx_commit(c)) < 0)
		goto done;
	began = 0;
	c->dev.last_seq = seq;
	c->rep->commits++;
	c->rep->changes += res->applied;
	c->rep->reviews += res->nreviews;
	for (size_t i = 0; i < res->ndecisions; i++)
		tally(c->rep, res->decisions[i].rule);
	if (c->dry && dec.size)
		error = ruhu_buf_put(&c->rep->preview, dec.ptr, dec.size);
done:
	if (began)
		tx_rollback(c);
	ruhu_merge_result_free(res);
	git_commit_free(cm);
	ruhu_buf_dispose(&cs);
	ruhu_buf_dispose(&v);
	ruhu_buf_dispose(&worker);
	ruhu_buf_dispose(&visit);
	ruhu_buf_dispose(&dec);
	ruhu_buf_dispose(&subject);
	ruhu_buf_dispose(&mergeof);
	ruhu_buf_dispose(&nrev);
	return error;
}


/* Keep a bundle that waits for its prerequisites (design note 2). */
static int hold(struct ctx *c, const void *data, size_t len, const char *waiting_for)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (c->dry)
		return 0;
	if ((rc = sqlite3_prepare_v2(c->db, "INSERT INTO _inbox(device, received_ms, envelope, waiting_for) "
				     "SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM _inbox "
				     "WHERE envelope = ?3)", -1, &st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(c->db, rc, "keep the waiting bundle");
	sqlite3_bind_text(st, 1, c->dev.id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ruhu_replica_now_ms(c->hub));
	sqlite3_bind_blob(st, 3, data, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, waiting_for, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ruhu_sql_error(c->db, rc, "keep the waiting bundle");
}

static int open_bundle(ruhu_buf *plain, struct ctx *c, const void *data, size_t len)
{
	ruhu_envelope env;
	ruhu_buf self = RUHU_BUF_INIT;
	ruhu_boxkey *box = NULL;
	char when[32];
	int error;

	if ((error = ruhu_envelope_parse(&env, data, len)) < 0 ||
	    (error = ruhu_identity_self(&self, c->hub)) < 0)
		goto done;
	if (env.kind != RUHU_ENVELOPE_DEVICE_BUNDLE) {
		error = ruhu_error_set(RUHU_EINVALID, "the file is a %s, not a tablet's bundle",
				       ruhu_envelope_kind_name(env.kind));
		goto done;
	}
	if (strcmp(env.recipient, self.ptr)) {
		error = ruhu_error_set(RUHU_EINVALID, "the bundle from %s is addressed to %s, not to this "
				       "hub (%s)", env.sender, env.recipient, self.ptr);
		goto done;
	}
	if ((error = ruhu_device_lookup(&c->dev, c->db, env.sender)) == RUHU_ENOTFOUND) {
		error = ruhu_error_set(RUHU_EAUTH, "the bundle comes from %s, a device this hub has not "
				       "enrolled", env.sender);
		goto done;
	}
	if (error < 0)
		goto done;
	snprintf(c->rep->device, sizeof(c->rep->device), "%s", c->dev.id);
	if (c->dev.revoked_ms) {
		time_t t = (time_t)(c->dev.revoked_ms / 1000);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d", &tm);
		error = ruhu_error_set(RUHU_EREVOKED, "device %s was revoked on %s (%s): its bundles are "
				       "refused", c->dev.id, when, c->dev.reason);
		goto done;
	}
	if ((error = ruhu_identity_boxkey(&box, c->hub)) < 0)
		goto done;
	if ((error = ruhu_envelope_open(plain, &env, c->dev.sign_key, box)) == RUHU_EAUTH)
		error = ruhu_error_set(RUHU_EAUTH, "the bundle from %s is refused: %s",
				       c->dev.id, ruhu_error_last());
done:
	ruhu_boxkey_free(box);
	ruhu_buf_dispose(&self);
	return error;
}

/* One envelope: refuse, hold, or take it in and merge (design notes 1-3). */
static int ingest_one(struct ctx *c, const void *data, size_t len)
{
	ruhu_buf plain = RUHU_BUF_INIT, refname = RUHU_BUF_INIT;
	ruhu_bundle *b = NULL;
	git_oid tip, known, *list = NULL;
	int has_tip = 0, has_known = 0, began = 0, error;
	size_t n = 0;

	if ((error = open_bundle(&plain, c, data, len)) < 0 ||
	    (error = ruhu_bundle_parse(&b, plain.ptr, plain.size)) < 0 ||
	    (error = ruhu_buf_printf(&refname, "refs/devices/%s", c->dev.id)) < 0)
		goto done;
	for (size_t i = 0; i < ruhu_bundle_ref_count(b); i++) {
		const ruhu_bundle_ref *ref = ruhu_bundle_ref_at(b, i);

		if (!strcmp(ref->name, refname.ptr)) {
			tip = ref->oid;
			has_tip = 1;
		} else if (!strcmp(ref->name, "refs/remotes/hub/main")) {
			known = ref->oid;
			has_known = 1;
		} else {
			error = ruhu_error_set(RUHU_EAUTH, "the bundle from %s carries ref %s, which is not its "
					       "own", c->dev.id, ref->name);
			goto done;
		}
	}
	if ((error = ruhu_bundle_check_prereqs(c->repo, b)) == RUHU_EWAITING) {
		c->rep->waiting = 1;
		for (size_t i = 0; i < ruhu_bundle_prereq_count(b); i++) {
			const ruhu_bundle_prereq *p = ruhu_bundle_prereq_at(b, i);

			if ((error = ruhu_object_exists(c->repo, &p->oid)) < 0)
				goto done;
			if (!error) {
				git_oid_tostr(c->rep->waiting_for, sizeof(c->rep->waiting_for), &p->oid);
				break;
			}
		}
		error = hold(c, data, len, ruhu_error_last());
		goto done;
	}
	if (error < 0 || (error = tx_begin(c)) < 0)
		goto done;
	began = 1;
	if ((error = ruhu_bundle_ingest(NULL, c->repo, b, NULL)) < 0)
		goto done;
	if (has_tip) {
		if ((error = ingest_to_merge(&list, &n, c, &tip)) < 0 || (error = ingest_check_commits(c, list, n)) < 0 ||
		    (error = ruhu_refs_set(c->db, refname.ptr, &tip, NULL)) < 0 ||
		    (error = run_sql(c->db, "UPDATE _devices SET tip = ?1 WHERE id = ?3", tip.id,
				     GIT_OID_RAWSZ, 0, c->dev.id, 0)) < 0)
			goto done;
	}
	if (has_known && (error = ruhu_object_exists(c->repo, &known)) < 0)
		goto done;
	if (has_known && error && (error = ruhu_device_set_known_main(c->db, c->dev.id, &known)) < 0)
		goto done;
	if ((error = run_sql(c->db, "UPDATE _devices SET last_bundle_ms = ?2 WHERE id = ?3", NULL, 0,
			     ruhu_replica_now_ms(c->hub), c->dev.id, 0)) < 0 ||
	    (error = tx_commit(c)) < 0)
		goto done;
	began = 0;
	if (has_tip && (error = ingest_count_duplicates(&c->rep->duplicates, c, b, n ? &list[0] : &tip, n == 0)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		if (c->opts && c->opts->progress)
			c->opts->progress(i, n, c->opts->payload);
		if ((error = merge_one(c, &list[i])) < 0)
			goto done;
	}
	if (c->opts && c->opts->progress && n)
		c->opts->progress(n, n, c->opts->payload);
done:
	if (began)
		tx_rollback(c);
	free(list);
	ruhu_bundle_free(b);
	ruhu_buf_dispose_secure(&plain);
	ruhu_buf_dispose(&refname);
	return error;
}

/* Design note 2: let in the waiting bundles whose prerequisites arrived. */
static int retry_inbox(struct ctx *c)
{
	int progress = 1, error = 0;

	while (progress && error == 0) {
		sqlite3_stmt *st = NULL;
		int rc;

		progress = 0;
		if ((rc = sqlite3_prepare_v2(c->db, "SELECT n, envelope FROM _inbox ORDER BY n", -1, &st,
					     NULL)) != SQLITE_OK)
			return ruhu_sql_error(c->db, rc, "read the waiting bundles");
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			ruhu_ingest_report sub;
			struct ctx cc = *c;
			int64_t n = sqlite3_column_int64(st, 0);
			ruhu_buf env = RUHU_BUF_INIT;

			memset(&sub, 0, sizeof(sub));
			cc.rep = &sub;
			if ((error = ruhu_buf_put(&env, sqlite3_column_blob(st, 1),
						  (size_t)sqlite3_column_bytes(st, 1))) < 0)
				break;
			error = ingest_one(&cc, env.ptr, env.size);
			ruhu_buf_dispose(&env);
			if (error == 0 && sub.waiting)
				continue;
			/* merged, or refused for good: it waits no longer */
			ruhu_error_clear();
			error = 0;
			sqlite3_finalize(st);
			st = NULL;
			if ((error = run_sql(c->db, "DELETE FROM _inbox WHERE n = ?2", NULL, 0, n, NULL, 0)) < 0)
				break;
			c->rep->released++;
			c->rep->commits += sub.commits;
			c->rep->changes += sub.changes;
			c->rep->reviews += sub.reviews;
			for (size_t i = 0; i < sub.nrules; i++)
				for (size_t k = 0; k < sub.rules[i].count; k++)
					tally(c->rep, sub.rules[i].rule);
			ruhu_ingest_report_dispose(&sub);
			progress = 1;
			break;
		}
		/* a read of the inbox that failed is an error (it may have rolled
		 * the ingest's transaction back), not an empty inbox */
		if (error == 0 && !progress && rc != SQLITE_DONE)
			error = ruhu_sql_error(c->db, rc, "read the waiting bundles");
		sqlite3_finalize(st);
	}
	return error;
}

int ruhu_hub_ingest(ruhu_ingest_report *out, ruhu_replica *hub, const void *bundle, size_t len,
		    const ruhu_ingest_opts *opts)
{
	struct ctx c;
	int error;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.hub = hub;
	c.db = ruhu_replica_db(hub);
	c.opts = opts;
	c.rep = out;
	c.dry = opts && opts->dry_run;
	if (opts && opts->version != RUHU_INGEST_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "ingest options version %u is not known", opts->version);
	if ((error = ruhu_hub_check(hub)) < 0 || (error = ruhu_replica_schema(&c.schema, hub)) < 0 ||
	    (error = ruhu_replica_repo(&c.repo, hub)) < 0)
		return error;
	if ((error = ruhu_replica_begin(hub)) < 0)
		return error;
	error = ingest_one(&c, bundle, len);
	if (error == 0 && !c.dry && !out->waiting)
		error = retry_inbox(&c);
	if (error == 0 && !c.dry && (error = ruhu_replica_commit(hub)) == 0)
		return 0;
	/* design note 4: nothing of it is kept */
	ruhu_replica_rollback(hub);
	ruhu_replica_repo_reset(hub);
	return error;
}
