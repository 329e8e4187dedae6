/*
 * save.c — a save becomes a signed commit (see save.h and docs/sync.md §2).
 *
 * Design notes
 *  1. Everything a save writes (rows, digest, clock, sequence, objects, ref,
 *     pending entry) is in the caller's one SQLite transaction: after a
 *     crash either all of it is there or none of it.
 *  2. The commit's parents: the branch head; for the first save of a
 *     replica that joined a hub, the hub main it joined at (`_meta.base`);
 *     else none.  A merge adds the merged commit as second parent.
 *  3. Trailer order is frozen: Ruhu-Device, Ruhu-Worker, Ruhu-Seq, Ruhu-HLC,
 *     Ruhu-Schema, Ruhu-Visit, Ruhu-Digest, then the caller's.
 *  4. Author: the caseworker or operator holding the replica
 *     (`<name> <worker@centre>`); committer: the replica itself
 *     (`<id> <id@centre>`).  Times are the wall clock in the centre's zone
 *     (`_meta.tz_minutes`, default +08:00).
 *  5. The branch moves only from the head this save read: a concurrent
 *     writer is impossible under BEGIN IMMEDIATE, and the check makes any
 *     bug that would fork the chain fail loudly (RUHU_ECONFLICT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/changeset.h"
#include "core/commit.h"
#include "core/digest.h"
#include "core/edit.h"
#include "core/hlc.h"
#include "core/identity.h"
#include "core/meta.h"
#include "core/provenance.h"
#include "core/refs.h"
#include "core/save.h"

int ruhu_save_tables(const char ***out, size_t *n, const ruhu_schema *s)
{
	size_t count = ruhu_schema_type_count(s);
	const char **names = calloc(count ? count : 1, sizeof(*names));

	*out = NULL;
	*n = 0;
	if (names == NULL)
		return ruhu_error_oom();
	for (size_t i = 0; i < count; i++)
		names[i] = ruhu_type_name(ruhu_schema_type(s, i));
	*out = names;
	*n = count;
	return 0;
}

struct tally {
	const char *table;
	size_t n[3];    /* added, changed, deleted */
};

static int count_change(const ruhu_chg_table *t, const ruhu_chg_rec *rec, void *payload)
{
	struct tally *tl = payload;
	size_t i = 0;

	while (tl[i].table && strcmp(tl[i].table, t->name))
		i++;
	if (i >= 31)
		return 0;
	tl[i].table = t->name;
	tl[i].n[rec->op == SQLITE_INSERT ? 0 : rec->op == SQLITE_UPDATE ? 1 : 2]++;
	return 0;
}

int ruhu_save_subject(ruhu_buf *out, const void *changeset, size_t len)
{
	static const char *verbs[3] = { "add", "change", "delete" };
	struct tally tl[32];
	int error, first = 1;

	memset(tl, 0, sizeof(tl));
	ruhu_buf_clear(out);
	if ((error = ruhu_changeset_walk(changeset, len, count_change, tl)) < 0)
		return error;
	/* "add 1 person, 1 household; change 2 application" */
	for (int v = 0; v < 3; v++) {
		int verb_done = 0;

		for (size_t i = 0; tl[i].table; i++) {
			if (tl[i].n[v] == 0)
				continue;
			if (verb_done)
				error = ruhu_buf_printf(out, ", %zu %s", tl[i].n[v], tl[i].table);
			else
				error = ruhu_buf_printf(out, "%s%s %zu %s", first ? "" : "; ", verbs[v],
							tl[i].n[v], tl[i].table);
			if (error < 0)
				return error;
			verb_done = 1;
			first = 0;
		}
	}
	if (first)
		error = ruhu_buf_puts(out, "no change");
	return error;
}

static int put_trailer(ruhu_trailer *t, size_t *n, const char *key, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return 0;
	t[*n].key = key;
	t[*n].value = value;
	(*n)++;
	return 0;
}

static int write_blob(git_oid *out, git_repository *repo, const void *data, size_t len)
{
	return ruhu_blob_write(out, repo, data, len);
}

int ruhu_save_commit(ruhu_save_info *out, ruhu_replica *r, const ruhu_save_spec *spec)
{
	sqlite3 *db = ruhu_replica_db(r);
	const ruhu_schema *schema;
	git_repository *repo;
	ruhu_signkey *key = NULL;
	ruhu_buf self = RUHU_BUF_INIT, centre = RUHU_BUF_INIT, worker = RUHU_BUF_INIT,
		 wname = RUHU_BUF_INIT, visit = RUHU_BUF_INIT, branch = RUHU_BUF_INIT,
		 text = RUHU_BUF_INIT, subject = RUHU_BUF_INIT, author_email = RUHU_BUF_INIT,
		 committer_email = RUHU_BUF_INIT, base = RUHU_BUF_INIT;
	ruhu_tree_entry *entries = NULL;
	ruhu_trailer *trailers = NULL;
	ruhu_commit_opts copts = RUHU_COMMIT_OPTS_INIT;
	ruhu_digest digest = RUHU_DIGEST_INIT;
	char hlc_text[RUHU_HLC_TEXT_LEN + 1], seq_text[24], digest_hex[RUHU_DIGEST_HEX_LEN + 1];
	git_oid parents[2], head, commit;
	int64_t seq = 0, tz = 480, track = 0, authority = 0;
	uint64_t hlc = 0;
	unsigned int flags = 0;
	size_t nparents = 0, ntrailers = 0, nentries = 0;
	int have_head = 0, error;

	if (out)
		memset(out, 0, sizeof(*out));
	if ((error = ruhu_replica_schema(&schema, r)) < 0 ||
	    (error = ruhu_replica_repo(&repo, r)) < 0 ||
	    (error = ruhu_identity_self(&self, r)) < 0 ||
	    (error = ruhu_identity_centre(&centre, r)) < 0 ||
	    (error = ruhu_meta_get(&branch, db, "branch")) < 0 ||
	    (error = ruhu_meta_int_or(&seq, db, "seq", 0)) < 0 ||
	    (error = ruhu_meta_int_or(&tz, db, "tz_minutes", 480)) < 0 ||
	    (error = ruhu_meta_int_or(&track, db, "track_pending", 0)) < 0 ||
	    (error = ruhu_meta_int_or(&authority, db, "authority", 0)) < 0)
		goto done;

	/* 1. the state digest follows the change */
	if ((error = ruhu_digest_load(&digest, db)) == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		memset(&digest, 0, sizeof(digest));
	} else if (error < 0) {
		goto done;
	}
	if ((spec->len && (error = ruhu_digest_apply_changeset(&digest, db, spec->changeset, spec->len)) < 0) ||
	    (error = ruhu_digest_store(db, &digest)) < 0)
		goto done;
	ruhu_digest_hex(digest_hex, &digest);

	/* 2. clock and sequence */
	if (spec->hlc == 0)
		error = ruhu_hlc_now(&hlc, &flags, db, &r->clock);
	else
		error = ruhu_hlc_observe(&hlc, &flags, db, &r->clock, spec->hlc);
	if (error < 0)
		goto done;
	if (spec->hlc)
		hlc = spec->hlc;
	if ((error = ruhu_hlc_format(hlc_text, hlc)) < 0)
		goto done;
	seq++;
	snprintf(seq_text, sizeof(seq_text), "%lld", (long long)seq);
	if ((error = ruhu_meta_set_int(db, "seq", seq)) < 0)
		goto done;

	/* 3. who */
	if (spec->worker_id) {
		error = ruhu_buf_puts(&worker, spec->worker_id);
	} else if ((error = ruhu_meta_get(&worker, db, "worker")) == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0;
		if (track) {
			error = ruhu_error_set(RUHU_EINVALID, "no caseworker holds this tablet: "
					       "run 'ruhu worker use ID --name NAME' first");
			goto done;
		}
	} else if (error == 0 && (error = ruhu_meta_get(&wname, db, "worker_name")) == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = ruhu_buf_puts(&wname, worker.ptr);
	}
	if (error < 0)
		goto done;
	if ((error = ruhu_buf_printf(&committer_email, "%s@%s", self.ptr, centre.ptr)) < 0)
		goto done;
	if (spec->author_name) {
		copts.author.name = spec->author_name;
		copts.author.email = spec->author_email ? spec->author_email : committer_email.ptr;
	} else if (worker.size && wname.size) {
		if ((error = ruhu_buf_printf(&author_email, "%s@%s", worker.ptr, centre.ptr)) < 0)
			goto done;
		copts.author.name = wname.ptr;
		copts.author.email = author_email.ptr;
	} else {
		copts.author.name = self.ptr;
		copts.author.email = committer_email.ptr;
	}
	copts.author.time = ruhu_replica_now_ms(r) / 1000;
	copts.author.offset = (int)tz;
	copts.committer.name = self.ptr;
	copts.committer.email = committer_email.ptr;
	copts.committer.time = copts.author.time;
	copts.committer.offset = (int)tz;

	/* 4. the tree */
	if ((entries = calloc(spec->nextra + 2, sizeof(*entries))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	entries[0].path = "changeset";
	if ((error = write_blob(&entries[0].oid, repo, spec->len ? spec->changeset : "", spec->len)) < 0)
		goto done;
	entries[1].path = "changes.txt";
	if ((spec->len && (error = ruhu_changeset_text(&text, spec->changeset, spec->len, db, NULL, NULL)) < 0) ||
	    (error = write_blob(&entries[1].oid, repo, text.ptr ? text.ptr : "", text.size)) < 0)
		goto done;
	nentries = 2;
	for (size_t i = 0; i < spec->nextra; i++)
		entries[nentries++] = spec->extra[i];

	/* 5. parents */
	if ((error = ruhu_refs_get(&head, db, branch.ptr)) == 0) {
		parents[nparents++] = head;
		have_head = 1;
	} else if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		if ((error = ruhu_meta_get(&base, db, "base")) == 0) {
			if (git_oid_fromstrn(&parents[0], base.ptr, base.size) < 0) {
				error = ruhu_error_set(RUHU_ECORRUPT, "the replica's base commit is not a commit id");
				goto done;
			}
			nparents = 1;
		} else if (error == RUHU_ENOTFOUND) {
			ruhu_error_clear();
			error = 0;
		}
	}
	if (error < 0)
		goto done;
	if (spec->merge_parent)
		parents[nparents++] = *spec->merge_parent;

	/* 6. message and trailers */
	if (spec->visit_id) {
		error = ruhu_buf_puts(&visit, spec->visit_id);
	} else if ((spec->flags & RUHU_SAVE_LOCAL) &&
		   (error = ruhu_meta_get(&visit, db, "visit")) == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0;
	}
	if (error < 0)
		goto done;
	if (spec->subject)
		error = ruhu_buf_puts(&subject, spec->subject);
	else if (spec->len)
		error = ruhu_save_subject(&subject, spec->changeset, spec->len);
	else
		error = ruhu_buf_puts(&subject, "no change");
	if (error < 0)
		goto done;
	if ((trailers = calloc(spec->ntrailers + 8, sizeof(*trailers))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	put_trailer(trailers, &ntrailers, "Ruhu-Device", self.ptr);
	put_trailer(trailers, &ntrailers, "Ruhu-Worker", worker.ptr);
	put_trailer(trailers, &ntrailers, "Ruhu-Seq", seq_text);
	put_trailer(trailers, &ntrailers, "Ruhu-HLC", hlc_text);
	put_trailer(trailers, &ntrailers, "Ruhu-Schema", ruhu_schema_version(schema));
	put_trailer(trailers, &ntrailers, "Ruhu-Visit", visit.ptr);
	put_trailer(trailers, &ntrailers, "Ruhu-Digest", digest_hex);
	for (size_t i = 0; i < spec->ntrailers; i++)
		trailers[ntrailers++] = spec->trailers[i];

	/* 7. sign, write, move the branch */
	copts.entries = entries;
	copts.nentries = nentries;
	copts.parents = parents;
	copts.nparents = nparents;
	copts.subject = subject.ptr;
	copts.trailers = trailers;
	copts.ntrailers = ntrailers;
	if ((error = ruhu_identity_signkey(&key, r)) < 0 ||
	    (error = ruhu_commit_create(&commit, repo, &copts, key)) < 0 ||
	    (error = ruhu_refs_set(db, branch.ptr, &commit, have_head ? &head : &(git_oid){ { 0 } })) < 0)
		goto done;

	/* 8. bookkeeping for sync */
	if ((spec->flags & RUHU_SAVE_LOCAL) && track) {
		sqlite3_stmt *st = NULL;
		int rc;

		/* the changeset stays NULL: it is the commit's own (core/setup.c) */
		if ((rc = sqlite3_prepare_v2(db, "INSERT INTO _pending(seq, oid) VALUES(?1, ?2)",
					     -1, &st, NULL)) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, seq);
			sqlite3_bind_blob(st, 2, commit.id, GIT_OID_RAWSZ, SQLITE_STATIC);
			rc = sqlite3_step(st);
			rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_OK) {
			error = ruhu_sql_error(db, rc, "record the save as pending");
			goto done;
		}
	}
	if ((spec->flags & RUHU_SAVE_LOCAL) && authority) {
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), &commit);
		if (spec->len && (error = ruhu_provenance_record(db, spec->changeset, spec->len, hlc, self.ptr, hex)) < 0)
			goto done;
	}

	if (out) {
		out->committed = 1;
		git_oid_tostr(out->id, sizeof(out->id), &commit);
		out->seq = seq;
		if (spec->len)
			ruhu_changeset_count(&out->changes, spec->changeset, spec->len);
	}
done:
	ruhu_signkey_free(key);
	free(entries);
	free(trailers);
	ruhu_buf_dispose(&self);
	ruhu_buf_dispose(&centre);
	ruhu_buf_dispose(&worker);
	ruhu_buf_dispose(&wname);
	ruhu_buf_dispose(&visit);
	ruhu_buf_dispose(&branch);
	ruhu_buf_dispose(&text);
	ruhu_buf_dispose(&subject);
	ruhu_buf_dispose(&author_email);
	ruhu_buf_dispose(&committer_email);
	ruhu_buf_dispose(&base);
	return error;
}

int ruhu_pending_changeset(const void **cs, size_t *len, ruhu_buf *own, git_repository *repo,
	sqlite3_stmt *row)
{
	git_oid id;
	int error;

	if (sqlite3_column_type(row, 2) != SQLITE_NULL) {
		*cs = sqlite3_column_blob(row, 2);
		*len = (size_t)sqlite3_column_bytes(row, 2);
		return 0;
	}
	if (sqlite3_column_bytes(row, 1) != GIT_OID_RAWSZ)
		return ruhu_error_set(RUHU_ECORRUPT, "pending save %lld names no commit",
			(long long)sqlite3_column_int64(row, 0));
	git_oid_fromraw(&id, sqlite3_column_blob(row, 1));
	ruhu_buf_clear(own);
	if ((error = ruhu_commit_read_path(own, repo, &id, "changeset")) < 0)
		return error;
	*cs = own->ptr;
	*len = own->size;
	return 0;
}
