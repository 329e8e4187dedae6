/*
 * audit_entry.c — one commit read as the audit shows it: the fields of
 * `ruhu log`, its kind, the trailers the audit adds, and its signature
 * judged against the signers (see audit.h).
 *
 * Design notes
 *  1. Everything comes from the commit itself; the strings of the entry
 *     point into the commit and its parsed trailers, which the struct owns
 *     until audit_commit_release.
 *  2. The kind follows the trailers a commit carries (docs/sync.md §2):
 *     Ruhu-Merge-Of a merge, Ruhu-Resolves a resolution, Ruhu-Revoke a
 *     revocation, Ruhu-Archive an archive event; otherwise a hub edit when
 *     its maker is a hub (the signers' role), else a tablet's save.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/odb.h"
#include "sync/audit.h"

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static int64_t to_int(const char *v)
{
	char *end;
	long long n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strtoll(v, &end, 10);
	return *end ? 0 : (int64_t)n;
}

static int maker_is_hub(const struct audit_ctx *c, const char *maker)
{
	if (maker == NULL || maker[0] == '\0')
		return 0;
	if (c->hub && !strcmp(maker, c->self))
		return 1;
	for (size_t i = 0; i < c->keys.n; i++)
		if (!strcmp(c->keys.v[i].id, maker))
			return !strcmp(c->keys.v[i].role, "hub");
	return 0;
}

const char *audit_commit_kind(const struct audit_ctx *c, const ruhu_trailers *tr)
{
	if (ruhu_trailers_get(tr, "Ruhu-Merge-Of"))
		return "merge";
	if (ruhu_trailers_get(tr, "Ruhu-Resolves"))
		return "resolution";
	if (ruhu_trailers_get(tr, "Ruhu-Revoke"))
		return "revocation";
	if (ruhu_trailers_get(tr, "Ruhu-Archive"))
		return "archive";
	return maker_is_hub(c, ruhu_trailers_get(tr, "Ruhu-Device")) ? "hub" : "save";
}

int audit_commit_load(struct audit_commit *out, struct audit_ctx *c, const git_oid *id,
		      int64_t merged_at)
{
	ruhu_log_entry *e = &out->e.commit;
	ruhu_buf sig = RUHU_BUF_INIT, data = RUHU_BUF_INIT;
	struct audit_sig s;
	const git_signature *a, *cm;
	const char *mo;
	int error, is_unsigned;

	memset(out, 0, sizeof(*out));
	if ((error = git_commit_lookup(&out->c, c->repo, id)) < 0) {
		error = ruhu_git_error(error, "cannot read commit %s", git_oid_tostr_s(id));
		goto done;
	}
	if ((error = ruhu_trailers_parse(&out->tr, git_commit_message(out->c))) < 0)
		goto done;
	a = git_commit_author(out->c);
	cm = git_commit_committer(out->c);
	git_oid_tostr(e->id, sizeof(e->id), id);
	e->subject = or_empty(git_commit_summary(out->c));
	e->message = or_empty(git_commit_message(out->c));
	e->author = or_empty(a->name);
	e->author_email = or_empty(a->email);
	e->time = a->when.time;
	e->offset = a->when.offset;
	e->committer = or_empty(cm->name);
	e->device = or_empty(ruhu_trailers_get(&out->tr, "Ruhu-Device"));
	e->worker = or_empty(ruhu_trailers_get(&out->tr, "Ruhu-Worker"));
	e->visit = or_empty(ruhu_trailers_get(&out->tr, "Ruhu-Visit"));
	e->hlc = or_empty(ruhu_trailers_get(&out->tr, "Ruhu-HLC"));
	e->digest = or_empty(ruhu_trailers_get(&out->tr, "Ruhu-Digest"));
	e->seq = to_int(ruhu_trailers_get(&out->tr, "Ruhu-Seq"));
	e->nparents = git_commit_parentcount(out->c);
	for (unsigned int i = 0; i < e->nparents && i < 2; i++)
		git_oid_tostr(e->parents[i], sizeof(e->parents[i]), git_commit_parent_id(out->c, i));
	out->e.kind = audit_commit_kind(c, &out->tr);
	out->e.merge_of = "";
	if ((mo = ruhu_trailers_get(&out->tr, "Ruhu-Merge-Of")) != NULL) {
		const char *sp = strchr(mo, ' ');
		size_t n = sp ? (size_t)(sp - mo) : strlen(mo);

		snprintf(out->merge_of, sizeof(out->merge_of), "%.*s", (int)(n < sizeof(out->merge_of) ? n : 0), mo);
		out->e.merge_of = out->merge_of;
		out->e.merge_seq = sp ? to_int(sp + 1) : 0;
	}
	out->e.reviews = to_int(ruhu_trailers_get(&out->tr, "Ruhu-Review"));
	out->e.resolves = or_empty(ruhu_trailers_get(&out->tr, "Ruhu-Resolves"));
	out->e.revokes = or_empty(ruhu_trailers_get(&out->tr, "Ruhu-Revoke"));
	out->e.archive = or_empty(ruhu_trailers_get(&out->tr, "Ruhu-Archive"));
	out->e.graph_before = out->e.graph = out->e.graph_after = "";

	/* the signature (ruhu/audit.h, design note 5) */
	if ((error = audit_sig_read(&sig, &data, c->repo, id, &is_unsigned)) < 0)
		goto done;
	if (is_unsigned) {
		memset(&s, 0, sizeof(s));
		s.status = RUHU_SIG_UNSIGNED;
	} else {
		audit_sig_check(&s, &sig, &data);
	}
	e->sig = audit_keys_judge(out->note, sizeof(out->note), &out->problem, &c->keys, e->device, &s,
				  (int64_t)cm->when.time * 1000, merged_at >= 0 ? merged_at * 1000 : -1,
				  c->hub, c->tz);
	out->e.sig_note = out->note;
done:
	ruhu_buf_dispose(&sig);
	ruhu_buf_dispose(&data);
	if (error < 0)
		audit_commit_release(out);
	return error;
}

void audit_commit_release(struct audit_commit *ac)
{
	git_commit_free(ac->c);
	ruhu_trailers_dispose(&ac->tr);
	memset(ac, 0, sizeof(*ac));
}

int audit_read_part(ruhu_buf *out, git_repository *repo, const git_oid *id, const char *path)
{
	int error;

	ruhu_buf_clear(out);
	if ((error = ruhu_commit_read_path(out, repo, id, path)) == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		ruhu_buf_clear(out);
		error = 0;
	}
	return error;
}
