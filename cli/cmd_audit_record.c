/*
 * cmd_audit_record.c — `ruhu audit history|blame TYPE ID` and `ruhu audit
 * verify`: one record through time, who made each field what it is, and the
 * whole history checked (ruhu/audit.h).  The rest of `ruhu audit` is in
 * cmd_audit.c.
 *
 * Design notes
 *  1. Values print as changes.txt writes them: texts in double quotes,
 *     numbers as they are, NULL, blobs as <N bytes>; in JSON as JSON values.
 *  2. A version's who/device/visit are the tablet's save that carried it
 *     (a merge's second parent); a hub edit names the operator and the hub.
 *  3. `verify` lists every problem it kept, one per line, then fails with
 *     the first one's message; on success it says what it checked.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"

static void put_value(const ruhu_value *v)
{
	switch (v->type) {
	case RUHU_VALUE_NULL: fputs("NULL", stdout); break;
	case RUHU_VALUE_INTEGER: printf("%lld", (long long)v->i); break;
	case RUHU_VALUE_REAL: printf("%.17g", v->d); break;
	case RUHU_VALUE_BLOB: printf("<%zu bytes>", v->len); break;
	default:
		putchar('"');
		for (size_t i = 0; i < v->len; i++) {
			unsigned char c = (unsigned char)v->p[i];

			if (c == '"' || c == '\\')
				printf("\\%c", c);
			else if (c == '\n')
				fputs("\\n", stdout);
			else if (c < 0x20 || c == 0x7f)
				printf("\\x%02x", c);
			else
				putchar(c);
		}
		putchar('"');
	}
}

static void stamp(char *out, size_t size, const ruhu_audit_entry *e)
{
	time_t s = (time_t)(e->commit.time + (int64_t)e->commit.offset * 60);
	struct tm tm;
	int off = e->commit.offset < 0 ? -e->commit.offset : e->commit.offset;

	if (gmtime_r(&s, &tm) == NULL)
		snprintf(out, size, "?");
	else
		snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 e->commit.offset < 0 ? '-' : '+', off / 60, off % 60);
}

/* The fields an auditor asks of a commit, as one JSON object; null for
 * none. */
static void json_who(struct cli_json *j, const ruhu_audit_entry *e)
{
	char t[64], sig[2];

	if (e == NULL) {
		cli_json_null(j);
		return;
	}
	sig[0] = e->commit.sig;
	sig[1] = 0;
	stamp(t, sizeof(t), e);
	cli_json_object_begin(j);
	cli_json_kv_string(j, "id", e->commit.id);
	cli_json_kv_string(j, "kind", e->kind);
	cli_json_kv_string(j, "time", t);
	cli_json_kv_string(j, "author", e->commit.author);
	cli_json_kv_string(j, "device", e->commit.device);
	cli_json_kv_opt(j, "worker", e->commit.worker);
	cli_json_kv_opt(j, "visit", e->commit.visit);
	cli_json_kv_string(j, "hlc", e->commit.hlc);
	cli_json_kv_int(j, "seq", e->commit.seq);
	cli_json_kv_string(j, "signature", sig);
	cli_json_kv_opt(j, "signature_note", e->sig_note);
	cli_json_kv_string(j, "subject", e->commit.subject);
	cli_json_object_end(j);
}

static void json_decisions(struct cli_json *j, const ruhu_audit_decision *d, size_t n)
{
	cli_json_key(j, "decisions");
	cli_json_array_begin(j);
	for (size_t i = 0; i < n; i++)
		cli_json_decision(j, &d[i], 0);
	cli_json_array_end(j);
}

/* "by w-02 on tab-02 at 2026-…, visit V, save 3c4d… (G)" */
static void print_who(const ruhu_audit_version *v)
{
	const ruhu_audit_entry *b = v->bundle ? v->bundle : v->commit;
	char t[64];

	stamp(t, sizeof(t), b);
	printf("by %s on %s at %s", b->commit.worker[0] ? b->commit.worker : b->commit.author,
	       b->commit.device, t);
	if (b->commit.visit[0])
		printf(", visit %s", b->commit.visit);
	if (v->bundle)
		printf(", save %.12s (%c), merged in %.12s (%c)", b->commit.id, b->commit.sig, v->commit->commit.id,
		       v->commit->commit.sig);
	else
		printf(", %s %.12s (%c)", v->pending ? "pending save" : v->commit->kind, v->commit->commit.id,
		       v->commit->commit.sig);
}

struct hist_out {
	struct cli_json *j;
	int first;
};

static int hist_one(const ruhu_audit_version *v, void *payload)
{
	struct hist_out *o = payload;
	struct cli_json *j = o->j;

	if (j) {
		cli_json_object_begin(j);
		cli_json_kv_int(j, "version", (long long)v->version);
		cli_json_kv_string(j, "op", v->op);
		cli_json_kv_bool(j, "pending", v->pending);
		cli_json_key(j, "commit");
		json_who(j, v->commit);
		cli_json_key(j, "bundle");
		json_who(j, v->bundle);
		cli_json_key(j, "changes");
		cli_json_object_begin(j);
		for (size_t i = 0; i < v->nfields; i++) {
			if (!v->changed[i])
				continue;
			cli_json_key(j, v->fields[i]);
			cli_json_object_begin(j);
			cli_json_key(j, "old");
			cli_json_value(j, &v->before[i]);
			cli_json_key(j, "new");
			cli_json_value(j, &v->after[i]);
			cli_json_object_end(j);
		}
		cli_json_object_end(j);
		cli_json_key(j, "record");
		if (strcmp(v->op, "delete"))
			cli_json_record(j, (int)v->nfields, v->fields, v->after);
		else
			cli_json_null(j);
		json_decisions(j, v->decisions, v->ndecisions);
		cli_json_object_end(j);
		return 0;
	}
	printf("%sversion %zu  %-6s ", o->first ? "" : "\n", v->version, v->op);
	o->first = 0;
	print_who(v);
	putchar('\n');
	for (size_t i = 0; i < v->nfields; i++) {
		/* an insert or delete lists the fields that hold something */
		if (!v->changed[i] || (strcmp(v->op, "update") && v->before[i].type == RUHU_VALUE_NULL &&
				       v->after[i].type == RUHU_VALUE_NULL))
			continue;
		printf("    %s: ", v->fields[i]);
		if (!strcmp(v->op, "insert")) {
			put_value(&v->after[i]);
		} else if (!strcmp(v->op, "delete")) {
			put_value(&v->before[i]);
			fputs(" (deleted)", stdout);
		} else {
			put_value(&v->before[i]);
			fputs(" -> ", stdout);
			put_value(&v->after[i]);
		}
		putchar('\n');
	}
	for (size_t i = 0; i < v->ndecisions; i++) {
		const ruhu_audit_decision *d = &v->decisions[i];

		printf("    rule %s on %s: base %s, hub %s, device %s -> %s%s%s%s\n", d->rule,
		       d->field ? d->field : "the record", d->base ? d->base : "NULL", d->hub ? d->hub : "NULL",
		       d->device ? d->device : "NULL", d->result ? d->result : "NULL",
		       d->note && d->note[0] ? "  (" : "", d->note ? d->note : "", d->note && d->note[0] ? ")" : "");
	}
	return 0;
}

/* audit history TYPE ID [--json] */
int cmd_audit_history(struct cli_ctx *ctx, int argc, const char **argv)
{
	int json = 0, rc;
	struct cli_json j;
	struct hist_out o = { NULL, 1 };
	ruhu_replica *r = NULL;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &json, "print the versions as a JSON array"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 2, 2) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	cli_json_init(&j);
	if (json) {
		o.j = &j;
		cli_json_array_begin(&j);
	} else {
		printf("%s %s\n\n", argv[0], argv[1]);
	}
	if (ruhu_audit_history(r, argv[0], argv[1], hist_one, &o) < 0) {
		rc = cli_fail();
		ruhu_buf_dispose(&j.buf);
	} else if (json) {
		cli_json_array_end(&j);
		rc = cli_json_print(&j);
	}
	ruhu_replica_free(r);
	return rc;
}

static int blame_one(const ruhu_audit_blame_line *l, void *payload)
{
	struct cli_json *j = payload;
	const ruhu_audit_entry *b = l->bundle ? l->bundle : l->commit;
	char t[64];

	stamp(t, sizeof(t), b);
	if (j) {
		cli_json_object_begin(j);
		cli_json_kv_string(j, "field", l->field);
		cli_json_key(j, "value");
		cli_json_value(j, &l->value);
		cli_json_kv_int(j, "version", (long long)l->version);
		cli_json_key(j, "commit");
		json_who(j, l->commit);
		cli_json_key(j, "bundle");
		json_who(j, l->bundle);
		cli_json_kv_opt(j, "rule", l->rule);
		cli_json_key(j, "decided_in");
		json_who(j, l->decided_in);
		cli_json_object_end(j);
		return 0;
	}
	printf("%-20s ", l->field);
	put_value(&l->value);
	printf("\n    v%zu %.12s %s %s on %s at %s (%c)", l->version, l->commit->commit.id, l->commit->kind,
	       b->commit.worker[0] ? b->commit.worker : b->commit.author, b->commit.device, t, b->commit.sig);
	if (l->rule[0])
		printf("; rule %s in %.12s (%s%s%s)", l->rule, l->decided_in->commit.id, l->decided_in->kind,
		       l->decided_in->merge_of[0] ? " of " : "", l->decided_in->merge_of);
	putchar('\n');
	return 0;
}

/* audit blame TYPE ID [--json] */
int cmd_audit_blame(struct cli_ctx *ctx, int argc, const char **argv)
{
	int json = 0, rc;
	struct cli_json j;
	ruhu_replica *r = NULL;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &json, "print one JSON object per field, in an array"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 2, 2) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	cli_json_init(&j);
	if (json)
		cli_json_array_begin(&j);
	if (ruhu_audit_blame(r, argv[0], argv[1], blame_one, json ? &j : NULL) < 0) {
		rc = cli_fail();
		ruhu_buf_dispose(&j.buf);
	} else if (json) {
		cli_json_array_end(&j);
		rc = cli_json_print(&j);
	}
	ruhu_replica_free(r);
	return rc;
}

/* ---- verify ---- */

static void progress(size_t done, size_t total, void *payload)
{
	(void)payload;
	fprintf(stderr, "\rverifying: %zu of %zu commits", done, total);
	if (done == total)
		fputc('\n', stderr);
}

static void json_problem(struct cli_json *j, const ruhu_audit_problem *p)
{
	cli_json_object_begin(j);
	cli_json_kv_string(j, "kind", p->kind);
	cli_json_kv_opt(j, "commit", p->commit);
	cli_json_kv_opt(j, "type", p->type);
	cli_json_kv_opt(j, "id", p->id);
	cli_json_kv_opt(j, "field", p->field);
	cli_json_kv_opt(j, "expected", p->expected);
	cli_json_kv_opt(j, "found", p->found);
	cli_json_kv_string(j, "message", p->message);
	cli_json_object_end(j);
}

/* audit verify [--json] */
int cmd_audit_verify(struct cli_ctx *ctx, int argc, const char **argv)
{
	ruhu_audit_verify_opts vo = RUHU_AUDIT_VERIFY_OPTS_INIT;
	ruhu_audit_verify_report rep;
	ruhu_replica *r = NULL;
	int json = 0, rc, error;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &json, "print what was checked and every problem as JSON"),
		CLI_END
	};

	memset(&rep, 0, sizeof(rep));
	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (!json && isatty(STDERR_FILENO))
		vo.progress = progress;
	error = ruhu_audit_verify(&rep, r, &vo);
	if (error < 0 && error != RUHU_ECORRUPT) {
		rc = cli_fail();
		goto done;
	}
	if (json) {
		struct cli_json j;

		cli_json_init(&j);
		cli_json_object_begin(&j);
		cli_json_kv_bool(&j, "ok", error == 0);
		cli_json_kv_string(&j, "role", rep.tablet ? "device" : "hub");
		cli_json_kv_int(&j, "refs", (long long)rep.refs);
		cli_json_kv_int(&j, "commits", (long long)rep.commits);
		cli_json_kv_int(&j, "objects", (long long)rep.objects);
		cli_json_kv_int(&j, "signatures", (long long)rep.signatures);
		cli_json_kv_int(&j, "replayed", (long long)rep.replayed);
		cli_json_kv_int(&j, "digests", (long long)rep.digests);
		cli_json_kv_int(&j, "pending", (long long)rep.pending);
		cli_json_kv_int(&j, "rows", (long long)rep.rows);
		cli_json_kv_opt(&j, "main", rep.main);
		cli_json_kv_opt(&j, "digest", rep.digest);
		cli_json_key(&j, "problems");
		cli_json_array_begin(&j);
		for (size_t i = 0; i < rep.nproblems; i++)
			json_problem(&j, &rep.problems[i]);
		cli_json_array_end(&j);
		cli_json_kv_int(&j, "more_problems", (long long)rep.more_problems);
		cli_json_object_end(&j);
		rc = cli_json_print(&j);
		if (rc == CLI_OK && error < 0)
			rc = CLI_FAIL;
		goto done;
	}
	for (size_t i = 0; i < rep.nproblems; i++)
		printf("problem: %s: %s\n", rep.problems[i].kind, rep.problems[i].message);
	if (rep.more_problems)
		printf("problem: ... and %zu more\n", rep.more_problems);
	printf("checked %zu %s, %zu %s (%zu good %s), %zu objects\n", rep.refs, rep.refs == 1 ? "ref" : "refs",
	       rep.commits, rep.commits == 1 ? "commit" : "commits", rep.signatures,
	       rep.signatures == 1 ? "signature" : "signatures", rep.objects);
	printf("replayed %zu main %s from the first (%zu digests matched)", rep.replayed,
	       rep.replayed == 1 ? "commit" : "commits", rep.digests);
	if (rep.tablet)
		printf(", then %zu pending %s (their merge is the hub's to verify)", rep.pending,
		       rep.pending == 1 ? "save" : "saves");
	printf("\ncompared %zu rows with the replica\n", rep.rows);
	if (error < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("verified: main %.12s, digest %.16s\n", rep.main[0] ? rep.main : "(none)",
	       rep.digest[0] ? rep.digest : "(none)");
done:
	ruhu_audit_verify_report_dispose(&rep);
	ruhu_replica_free(r);
	return rc;
}
