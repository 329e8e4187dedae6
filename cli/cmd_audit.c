/*
 * cmd_audit.c — `ruhu audit log|show|history|blame|verify|export`: the
 * history for an auditor who trusts nothing (ruhu/audit.h), and the export
 * that stock git checks (core/audit_export.h).
 *
 * Design notes
 *  1. Every command prints for people by default and one JSON document with
 *     --json; all the reading and checking is the library's.
 *  2. `log --graph` prints the library's graph lines verbatim (trailing
 *     spaces included): the shape is git's, and a test compares the two.
 *  3. Signature letters are the audit's (G good, B bad, U unknown key, R
 *     revoked, N none, E unreadable); a letter other than G is followed by
 *     its reason in parentheses.
 *  4. The export holds every record ever saved, in clear (git objects are
 *     only compressed): the command says so on stderr every time.
 *  5. `verify` exits 1 when it finds a problem, after listing what it found.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/audit_export.h"

/* "2026-11-27 09:14" (human) or "2026-11-27T09:14:13+08:00" (iso). */
static void when(char *out, size_t size, int64_t t, int offset, int iso)
{
	time_t s = (time_t)(t + (int64_t)offset * 60);
	struct tm tm;
	int off = offset < 0 ? -offset : offset;

	if (gmtime_r(&s, &tm) == NULL) {
		snprintf(out, size, "?");
		return;
	}
	if (!iso)
		strftime(out, size, "%Y-%m-%d %H:%M", &tm);
	else
		snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 offset < 0 ? '-' : '+', off / 60, off % 60);
}

/* The maker worth naming: the tablet for a merge, else Ruhu-Device. */
static const char *who(const ruhu_audit_entry *e)
{
	return e->merge_of[0] ? e->merge_of : e->commit.device[0] ? e->commit.device : "-";
}

/* Text split into lines as a JSON array (the last "\n" ends a line). */
static void json_lines(struct cli_json *j, const char *key, const char *text)
{
	cli_json_lines(j, key, text, strlen(text));
}

static void json_entry(struct cli_json *j, const ruhu_audit_entry *e)
{
	char t[64], sig[2] = { e->commit.sig, 0 };

	when(t, sizeof(t), e->commit.time, e->commit.offset, 1);
	cli_json_object_begin(j);
	cli_json_kv_string(j, "id", e->commit.id);
	cli_json_kv_string(j, "kind", e->kind);
	cli_json_kv_int(j, "seq", e->commit.seq);
	cli_json_kv_string(j, "time", t);
	cli_json_kv_string(j, "author", e->commit.author);
	cli_json_kv_string(j, "author_email", e->commit.author_email);
	cli_json_kv_string(j, "committer", e->commit.committer);
	cli_json_kv_string(j, "device", e->commit.device);
	cli_json_kv_opt(j, "worker", e->commit.worker);
	cli_json_kv_opt(j, "visit", e->commit.visit);
	cli_json_kv_string(j, "hlc", e->commit.hlc);
	cli_json_kv_string(j, "digest", e->commit.digest);
	cli_json_kv_string(j, "subject", e->commit.subject);
	cli_json_kv_string(j, "signature", sig);
	cli_json_kv_opt(j, "signature_note", e->sig_note);
	cli_json_kv_opt(j, "merge_of", e->merge_of);
	if (e->merge_of[0]) {
		cli_json_kv_int(j, "merge_seq", e->merge_seq);
		cli_json_kv_int(j, "reviews", e->reviews);
	}
	cli_json_kv_opt(j, "resolves", e->resolves);
	cli_json_kv_opt(j, "revokes", e->revokes);
	cli_json_kv_opt(j, "archive", e->archive);
	cli_json_parents(j, e->commit.parents, e->commit.nparents);
	if (e->graph[0]) {
		cli_json_key(j, "graph");
		cli_json_object_begin(j);
		json_lines(j, "before", e->graph_before);
		cli_json_kv_string(j, "line", e->graph);
		json_lines(j, "after", e->graph_after);
		cli_json_object_end(j);
	}
	cli_json_object_end(j);
}

/* ---- log ---- */

struct log_out {
	int json;
	long max, count;
	struct cli_json j;
};

static int log_line(const ruhu_audit_entry *e, void *payload)
{
	struct log_out *o = payload;
	char t[64];

	if (o->max != LONG_MIN && o->count >= o->max)
		return 1;
	o->count++;
	if (o->json) {
		json_entry(&o->j, e);
		return 0;
	}
	when(t, sizeof(t), e->commit.time, e->commit.offset, 0);
	printf("%s%s%.12s  %s  %-10s %-10s %-8s %-36s %c  %s", e->graph_before, e->graph, e->commit.id, t,
	       e->kind, who(e), e->commit.worker[0] ? e->commit.worker : "-",
	       e->commit.visit[0] ? e->commit.visit : "-", e->commit.sig, e->commit.subject);
	if (e->commit.sig != 'G')
		printf("  (%s)", e->sig_note);
	printf("\n%s", e->graph_after);
	return 0;
}

/* audit log [--graph] [--since DATE] [--device ID] [--worker ID] [--json] [-n N] */
int cmd_audit_log(struct cli_ctx *ctx, int argc, const char **argv)
{
	ruhu_audit_log_opts lo = RUHU_AUDIT_LOG_OPTS_INIT;
	struct log_out o = { .max = LONG_MIN };
	const char *since = NULL;
	int graph = 0, rc, error;
	ruhu_replica *r = NULL;
	struct cli_option options[] = {
		CLI_BOOL(0, "graph", &graph, "draw the history as git log --graph does"),
		CLI_STRING(0, "since", &since, "DATE", "only commits made on or after DATE (YYYY-MM-DD[THH:MM])"),
		CLI_STRING(0, "device", &lo.device, "ID", "only the saves of this tablet and their merges"),
		CLI_STRING(0, "worker", &lo.worker, "ID", "only commits of this caseworker or operator"),
		CLI_BOOL(0, "json", &o.json, "print a JSON array of commits"),
		CLI_INT('n', "max-count", &o.max, "N", "show at most N commits"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if (o.max != LONG_MIN && o.max < 0)
		return cli_error(CLI_USAGE, "-n must not be negative");
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (since && ruhu_audit_parse_time(&lo.since, r, since) < 0) {
		rc = cli_fail();
		goto done;
	}
	lo.flags = graph ? RUHU_AUDIT_GRAPH : 0;
	if (o.json) {
		cli_json_init(&o.j);
		cli_json_array_begin(&o.j);
	}
	if ((error = ruhu_audit_log(r, &lo, log_line, &o)) < 0) {
		rc = cli_fail();
		ruhu_buf_dispose(&o.j.buf);
	} else if (o.json) {
		cli_json_array_end(&o.j);
		rc = cli_json_print(&o.j);
	}
done:
	ruhu_replica_free(r);
	return rc;
}

/* ---- show ---- */

static void print_header(const ruhu_audit_entry *e)
{
	char t[64];

	when(t, sizeof(t), e->commit.time, e->commit.offset, 1);
	printf("commit %s  (%s", e->commit.id, e->kind);
	if (e->merge_of[0])
		printf(" of %s #%lld", e->merge_of, (long long)e->merge_seq);
	printf(")\n");
	if (e->commit.nparents == 2)
		printf("Merge:  %.12s %.12s\n", e->commit.parents[0], e->commit.parents[1]);
	printf("Author: %s <%s>\nDate:   %s\n", e->commit.author, e->commit.author_email, t);
	printf("Device: %s   Worker: %s   Seq: %lld   Signature: %c%s%s%s\n", e->commit.device,
	       e->commit.worker[0] ? e->commit.worker : "-", (long long)e->commit.seq, e->commit.sig,
	       e->sig_note[0] ? " (" : "", e->sig_note, e->sig_note[0] ? ")" : "");
	if (e->commit.visit[0])
		printf("Visit:  %s\n", e->commit.visit);
	printf("HLC:    %s\n\n    %s\n", e->commit.hlc, e->commit.subject);
}

static void print_indented(const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		printf("  %.*s\n", (int)len, p);
		p += len + (nl != NULL);
	}
}

static const char *nul(const char *s)
{
	return s ? s : "NULL";
}

static void print_decision(const ruhu_audit_decision *d)
{
	printf("  %s %s %s  %s: base %s, hub %s, device %s -> %s%s%s%s\n", d->type, d->id,
	       d->field ? d->field : "(record)", d->rule, nul(d->base), nul(d->hub), nul(d->device),
	       nul(d->result), d->note && d->note[0] ? "  (" : "", d->note ? d->note : "",
	       d->note && d->note[0] ? ")" : "");
}

void cli_json_decision(struct cli_json *j, const ruhu_audit_decision *d, int record)
{
	cli_json_object_begin(j);
	if (record) {
		cli_json_kv_string(j, "type", d->type);
		cli_json_kv_string(j, "id", d->id);
	}
	cli_json_kv_opt(j, "field", d->field);
	cli_json_kv_string(j, "rule", d->rule);
	cli_json_kv_opt(j, "base", d->base);
	cli_json_kv_opt(j, "hub", d->hub);
	cli_json_kv_opt(j, "device", d->device);
	cli_json_kv_opt(j, "result", d->result);
	cli_json_kv_string(j, "note", d->note ? d->note : "");
	cli_json_object_end(j);
}

static int show_one(const ruhu_audit_commit *c, void *payload)
{
	struct cli_json *j = payload;

	if (j) {
		cli_json_object_begin(j);
		cli_json_key(j, "commit");
		json_entry(j, &c->entry);
		cli_json_key(j, "merged");
		if (c->merged)
			json_entry(j, c->merged);
		else
			cli_json_null(j);
		json_lines(j, "changes", c->changes);
		json_lines(j, "merged_changes", c->merged_changes);
		cli_json_key(j, "decisions");
		cli_json_array_begin(j);
		for (size_t i = 0; i < c->ndecisions; i++)
			cli_json_decision(j, &c->decisions[i], 1);
		cli_json_array_end(j);
		cli_json_object_end(j);
		return 0;
	}
	print_header(&c->entry);
	printf("\nchanges%s:\n", c->merged ? " applied to main" : "");
	if (c->changes[0])
		print_indented(c->changes);
	else
		printf("  (none)\n");
	if (c->merged) {
		char t[64];

		when(t, sizeof(t), c->merged->commit.time, c->merged->commit.offset, 1);
		printf("\nmerged save %.12s of %s #%lld by %s <%s>, %s, signature %c%s%s%s:\n",
		       c->merged->commit.id, c->merged->commit.device, (long long)c->merged->commit.seq,
		       c->merged->commit.author, c->merged->commit.author_email, t, c->merged->commit.sig,
		       c->merged->sig_note[0] ? " (" : "", c->merged->sig_note, c->merged->sig_note[0] ? ")" : "");
		print_indented(c->merged_changes[0] ? c->merged_changes : "(no change)\n");
	}
	if (c->ndecisions) {
		printf("\ndecisions:\n");
		for (size_t i = 0; i < c->ndecisions; i++)
			print_decision(&c->decisions[i]);
	}
	return 0;
}

/* audit show COMMIT [--json] */
int cmd_audit_show(struct cli_ctx *ctx, int argc, const char **argv)
{
	int json = 0, rc;
	struct cli_json j;
	ruhu_replica *r = NULL;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &json, "print the commit, its changes and decisions as JSON"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	cli_json_init(&j);
	if (ruhu_audit_show(r, argv[0], show_one, json ? &j : NULL) < 0) {
		rc = cli_fail();
		ruhu_buf_dispose(&j.buf);
	} else if (json) {
		rc = cli_json_print(&j);
	}
	ruhu_replica_free(r);
	return rc;
}

/* ---- export ---- */

/* audit export OUTDIR [--json] */
int cmd_audit_export(struct cli_ctx *ctx, int argc, const char **argv)
{
	int json = 0;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &json, "print what was written as JSON"),
		CLI_END
	};
	ruhu_audit_export_info info;
	ruhu_replica *r = NULL;
	int rc;

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_audit_export(&info, r, argv[0]) < 0) {
		rc = cli_fail();
		goto done;
	}
	cli_warn("the export at %s holds personal data in clear (not encrypted): keep it on "
		 "protected storage and delete it when the audit is done", argv[0]);
	if (json) {
		struct cli_json j;

		cli_json_init(&j);
		cli_json_object_begin(&j);
		cli_json_kv_string(&j, "folder", argv[0]);
		cli_json_kv_int(&j, "branches", (long long)info.refs);
		cli_json_kv_int(&j, "signing_keys", (long long)info.signers);
		cli_json_kv_opt(&j, "head", info.head);
		cli_json_kv_string(&j, "readme", "README");
		cli_json_object_end(&j);
		rc = cli_json_print(&j);
		goto done;
	}
	printf("exported %zu %s and %zu %s to %s (HEAD %s)\n", info.refs,
	       info.refs == 1 ? "branch" : "branches", info.signers,
	       info.signers == 1 ? "signing key" : "signing keys", argv[0],
	       info.head[0] ? info.head : "none");
	printf("verify with: git -C %s log --show-signature   (see %s/README)\n", argv[0], argv[0]);
done:
	ruhu_replica_free(r);
	return rc;
}
