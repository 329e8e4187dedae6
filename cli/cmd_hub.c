/*
 * cmd_hub.c — the township hub's side of sync: `ruhu hub enrol|revoke|
 * ingest|reply|preview|sync|devices` (ruhu/sync.h; docs/sync.md §3, §4).
 * The review queue's commands are in cmd_hub_review.c.
 *
 * Design notes
 *  1. Every command is one library call (or one per file) between reading
 *     and writing files; the hub's replica is -C DIR.
 *  2. `hub ingest FILE...` and `hub sync --via DIR` report per file: the
 *     device, commits merged, duplicates, changes applied, decisions by
 *     rule, review items opened, or what the bundle waits for, on stdout;
 *     a refusal is one line on stderr ("ruhu: FILE: refused: why").  A
 *     refused file does not stop the others; the command then exits 1.  A progress bar is drawn on stderr while commits merge, only
 *     on a terminal (progress.c).
 *  3. `hub enrol` shows the hub's key id so the caseworker can compare it
 *     with what `ruhu join` shows on the tablet.
 *  4. `hub preview` is the dry run of ingest: the same merge in a
 *     transaction that is rolled back; it prints the decisions the rules
 *     would make (values included: it is the operator's console, like
 *     `ruhu get`) and writes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"

/* "lww 2, order 1" */
static void print_rules(const ruhu_ingest_report *rep)
{
	for (size_t i = 0; i < rep->nrules; i++)
		printf("%s%s %zu", i ? ", " : "", rep->rules[i].rule, rep->rules[i].count);
}

/* One line per file (design note 2). */
static void print_ingest(const char *name, const ruhu_ingest_report *rep)
{
	if (rep->waiting) {
		printf("%s: %s: waiting for commit %.12s, which has not arrived (kept: it is merged when "
		       "that commit comes)\n", name, rep->device, rep->waiting_for);
		return;
	}
	printf("%s: %s: %zu commit%s merged, %zu duplicate%s, %zu change%s applied", name, rep->device,
	       rep->commits, rep->commits == 1 ? "" : "s", rep->duplicates,
	       rep->duplicates == 1 ? "" : "s", rep->changes, rep->changes == 1 ? "" : "s");
	if (rep->nrules) {
		printf("; decisions: ");
		print_rules(rep);
	}
	printf("; %zu review item%s opened", rep->reviews, rep->reviews == 1 ? "" : "s");
	if (rep->released)
		printf("; %zu waiting bundle%s let in", rep->released, rep->released == 1 ? "" : "s");
	putchar('\n');
}

/* hub enrol REQUEST --worker ID --worker-name NAME --out FILE */
int cmd_hub_enrol(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *worker = NULL, *name = NULL, *out = NULL;
	struct cli_option options[] = {
		CLI_STRING(0, "worker", &worker, "ID", "the caseworker who carries the tablet (staff id)"),
		CLI_STRING(0, "worker-name", &name, "NAME", "the caseworker's name"),
		CLI_STRING('o', "out", &out, "FILE", "where to write the enrolment reply for the tablet"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_buf req = RUHU_BUF_INIT, reply = RUHU_BUF_INIT;
	char device[RUHU_ID_SIZE], dkey[17], hkey[17];
	int rc;

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if (worker == NULL || name == NULL || out == NULL)
		return cli_usage_error(ctx, options,
				       "hub enrol needs --worker ID, --worker-name NAME and --out FILE");
	if ((rc = cli_read_sync_file(&req, argv[0])) != CLI_OK)
		return rc;
	if (ruhu_enrol_request_inspect(device, dkey, req.ptr, req.size) < 0) {
		rc = cli_fail();
		goto done;
	}
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		goto done;
	if (ruhu_hub_enrol(&reply, r, req.ptr, req.size, worker, name) < 0 ||
	    ruhu_replica_keyid(hkey, r) < 0 || ruhu_file_write(out, reply.ptr, reply.size) < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("enrolled %s (key id %s) for caseworker %s %s\n", device, dkey, worker, name);
	printf("hub key id %s: the tablet's 'ruhu join' must show the same\n", hkey);
	printf("wrote %s: give it to the tablet (ruhu join %s)\n", out, out);
done:
	ruhu_buf_dispose(&req);
	ruhu_buf_dispose(&reply);
	ruhu_replica_free(r);
	return rc;
}

/* hub revoke ID --reason TEXT */
int cmd_hub_revoke(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *reason = NULL;
	struct cli_option options[] = {
		CLI_STRING(0, "reason", &reason, "TEXT", "why (lost, stolen, retired), kept in the history"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	int rc;

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if (reason == NULL)
		return cli_usage_error(ctx, options, "hub revoke needs --reason TEXT");
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_hub_revoke(r, argv[0], reason) < 0)
		rc = cli_fail();
	else
		printf("revoked %s (%s): its bundles are refused from now on\n", argv[0], reason);
	ruhu_replica_free(r);
	return rc;
}

/* Ingest one file; prints its line; 1 when it was refused. */
static int ingest_file(ruhu_replica *r, const char *path, ruhu_ingest_report *sum, int *failed)
{
	ruhu_ingest_opts opts = RUHU_INGEST_OPTS_INIT;
	struct cli_progress bar;
	ruhu_ingest_report rep;
	ruhu_buf data = RUHU_BUF_INIT;
	int error;

	memset(&rep, 0, sizeof(rep));
	cli_progress_init(&bar, path);
	opts.progress = cli_progress_cb;
	opts.payload = &bar;
	if ((error = ruhu_file_read(&data, path, RUHU_FILE_MAX)) == 0)
		error = ruhu_hub_ingest(&rep, r, data.ptr, data.size, &opts);
	cli_progress_end(&bar);
	if (error < 0) {
		cli_error(CLI_FAIL, "%s: refused: %s", path, ruhu_error_last());
		*failed = 1;
	} else {
		print_ingest(path, &rep);
		sum->commits += rep.commits;
		sum->duplicates += rep.duplicates;
		sum->changes += rep.changes;
		sum->reviews += rep.reviews;
		sum->waiting += rep.waiting;
	}
	ruhu_ingest_report_dispose(&rep);
	ruhu_buf_dispose(&data);
	return error < 0;
}

/* hub ingest FILE... */
int cmd_hub_ingest(struct cli_ctx *ctx, int argc, const char **argv)
{
	struct cli_option options[] = { CLI_END };
	ruhu_ingest_report sum;
	ruhu_replica *r = NULL;
	size_t refused = 0;
	int rc, n, failed = 0;

	memset(&sum, 0, sizeof(sum));
	if ((n = cli_parse(ctx, argc, argv, options, 1, -1)) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	for (int i = 0; i < n; i++)
		refused += (size_t)ingest_file(r, argv[i], &sum, &failed);
	printf("ingested %zu of %d file%s: %zu commit%s merged, %zu duplicate%s, %zu change%s, "
	       "%zu review item%s opened", (size_t)n - refused, n, n == 1 ? "" : "s", sum.commits,
	       sum.commits == 1 ? "" : "s", sum.duplicates, sum.duplicates == 1 ? "" : "s",
	       sum.changes, sum.changes == 1 ? "" : "s", sum.reviews, sum.reviews == 1 ? "" : "s");
	if (sum.waiting)
		printf(", %d waiting", sum.waiting);
	if (refused)
		printf(", %zu refused", refused);
	putchar('\n');
	if (failed)
		rc = CLI_FAIL;
	ruhu_replica_free(r);
	return rc;
}

/* hub reply --device ID --out FILE */
int cmd_hub_reply(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *device = NULL, *out = NULL;
	struct cli_option options[] = {
		CLI_STRING(0, "device", &device, "ID", "the tablet the reply is for"),
		CLI_STRING('o', "out", &out, "FILE", "the reply file to write"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_buf b = RUHU_BUF_INIT;
	ruhu_status st;
	int rc;

	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if (device == NULL || out == NULL)
		return cli_usage_error(ctx, options, "hub reply needs --device ID and --out FILE");
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_hub_reply(&b, r, device) < 0 || ruhu_status_get(&st, r) < 0 ||
	    ruhu_file_write(out, b.ptr, b.size) < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("wrote %s: the hub's main %.12s for %s (ruhu pull %s on the tablet)\n", out, st.head,
	       device, out);
done:
	ruhu_buf_dispose(&b);
	ruhu_replica_free(r);
	return rc;
}

/* decisions.txt escapes (docs/merge.md §6): "\N" alone is NULL. */
static void unescape(ruhu_buf *out, const char *s, size_t n, int *is_null)
{
	ruhu_buf_clear(out);
	*is_null = n == 2 && s[0] == '\\' && s[1] == 'N';
	if (*is_null)
		return;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' && i + 1 < n) {
			c = s[++i];
			c = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
		}
		ruhu_buf_putc(out, c);
	}
}

static const char *const decision_cols[] = {
	"type", "id", "field", "rule", "base", "hub", "device", "result", "note"
};

static int is_header(const char *line)
{
	return !strncmp(line, "type\tid\t", 8);
}

/* Decision lines of the preview (each merge's decisions.txt has a header). */
static size_t count_decisions(const ruhu_buf *text)
{
	const char *p = text->ptr, *end = p ? p + text->size : NULL;
	size_t n = 0;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		n += !is_header(p);
		p = nl ? nl + 1 : end;
	}
	return n;
}

/* Each decision line of the preview, header lines left out. */
static void each_decision(const ruhu_buf *text, struct cli_json *j)
{
	const char *p = text->ptr, *end = p ? p + text->size : NULL;
	ruhu_buf v = RUHU_BUF_INIT;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *f = p;
		const char *stop = nl ? nl : end;
		int col = 0, is_null;

		if (is_header(p)) {
			p = nl ? nl + 1 : end;
			continue;
		}
		if (j)
			cli_json_object_begin(j);
		else
			fputs("  ", stdout);
		while (f <= stop && col < 9) {
			const char *tab = memchr(f, '\t', (size_t)(stop - f));
			const char *fe = tab ? tab : stop;

			unescape(&v, f, (size_t)(fe - f), &is_null);
			if (j) {
				cli_json_key(j, decision_cols[col]);
				if (is_null)
					cli_json_null(j);
				else
					cli_json_stringn(j, v.ptr ? v.ptr : "", v.size);
			} else if (col == 4 || col == 5 || col == 6 || col == 7) {
				printf("%s%s=%.*s", col == 4 ? "  " : " ", decision_cols[col], (int)(fe - f), f);
			} else if (col == 8) {
				if (fe > f)
					printf("  (%.*s)", (int)(fe - f), f);
			} else {
				printf("%s%.*s", col ? " " : "", (int)(fe - f), f);
			}
			col++;
			f = fe + 1;
		}
		if (j)
			cli_json_object_end(j);
		else
			putchar('\n');
		p = nl ? nl + 1 : end;
	}
	ruhu_buf_dispose(&v);
}

/* hub preview FILE [--json] */
int cmd_hub_preview(struct cli_ctx *ctx, int argc, const char **argv)
{
	int json = 0, rc;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &json, "print the preview as JSON"),
		CLI_END
	};
	ruhu_ingest_opts opts = RUHU_INGEST_OPTS_INIT;
	ruhu_ingest_report rep;
	ruhu_replica *r = NULL;
	ruhu_buf data = RUHU_BUF_INIT;

	memset(&rep, 0, sizeof(rep));
	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if ((rc = cli_read_and_open(&data, &r, ctx, argv[0])) != CLI_OK)
		goto done;
	opts.dry_run = 1;
	if (ruhu_hub_ingest(&rep, r, data.ptr, data.size, &opts) < 0) {
		rc = cli_fail();
		goto done;
	}
	if (json) {
		struct cli_json j;

		cli_json_init(&j);
		cli_json_object_begin(&j);
		cli_json_kv_string(&j, "device", rep.device);
		cli_json_kv_bool(&j, "waiting", rep.waiting);
		cli_json_kv_int(&j, "commits", (long long)rep.commits);
		cli_json_kv_int(&j, "duplicates", (long long)rep.duplicates);
		cli_json_kv_int(&j, "changes", (long long)rep.changes);
		cli_json_kv_int(&j, "reviews", (long long)rep.reviews);
		cli_json_key(&j, "rules");
		cli_json_object_begin(&j);
		for (size_t i = 0; i < rep.nrules; i++)
			cli_json_kv_int(&j, rep.rules[i].rule, (long long)rep.rules[i].count);
		cli_json_object_end(&j);
		cli_json_key(&j, "decisions");
		cli_json_array_begin(&j);
		each_decision(&rep.preview, &j);
		cli_json_array_end(&j);
		cli_json_object_end(&j);
		rc = cli_json_print(&j);
		goto done;
	}
	printf("preview of %s (nothing is kept):\n", argv[0]);
	print_ingest(argv[0], &rep);
	if (count_decisions(&rep.preview)) {
		printf("decisions the rules would make:\n");
		each_decision(&rep.preview, NULL);
	} else if (!rep.waiting) {
		printf("no conflict: every change applies as it is\n");
	}
done:
	ruhu_ingest_report_dispose(&rep);
	ruhu_buf_dispose(&data);
	ruhu_replica_free(r);
	return rc;
}

/* hub sync --via DIR */
int cmd_hub_sync(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *via = NULL;
	struct cli_option options[] = {
		CLI_STRING(0, "via", &via, "DIR", "the shared folder or USB stick the tablets use"),
		CLI_END
	};
	ruhu_ingest_opts opts = RUHU_INGEST_OPTS_INIT;
	ruhu_hub_via_report rep;
	struct cli_progress bar;
	ruhu_replica *r = NULL;
	ruhu_status st;
	size_t commits = 0, reviews = 0;
	int rc, error;

	memset(&rep, 0, sizeof(rep));
	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if (via == NULL)
		return cli_usage_error(ctx, options, "hub sync needs --via DIR");
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	cli_progress_init(&bar, "merging");
	opts.progress = cli_progress_cb;
	opts.payload = &bar;
	error = ruhu_hub_sync_via(&rep, r, via, &opts);
	cli_progress_end(&bar);
	/* what was done is reported even when the turn stopped part-way */
	for (size_t i = 0; i < rep.nfiles; i++) {
		const ruhu_via_file *f = &rep.files[i];

		if (f->error) {
			cli_error(CLI_FAIL, "%s/%s: refused (left in the folder): %s", via, f->name,
				  f->message);
			continue;
		}
		print_ingest(f->name, &f->ingest);
		commits += f->ingest.commits;
		reviews += f->ingest.reviews;
	}
	for (size_t i = 0; i < rep.nreplies; i++)
		printf("wrote %s/%s.reply\n", via, rep.replies[i]);
	if (error < 0) {
		rc = cli_fail();
		goto done;
	}
	if (ruhu_status_get(&st, r) < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("took %zu of %zu bundle%s: %zu commit%s merged, %zu review item%s opened; %zu "
	       "repl%s written; main %.12s, digest %s\n", rep.taken, rep.nfiles,
	       rep.nfiles == 1 ? "" : "s", commits, commits == 1 ? "" : "s", reviews,
	       reviews == 1 ? "" : "s", rep.nreplies, rep.nreplies == 1 ? "y" : "ies", st.head,
	       st.digest);
	if (rep.refused)
		rc = CLI_FAIL;
done:
	ruhu_hub_via_report_dispose(&rep);
	ruhu_replica_free(r);
	return rc;
}

/* hub devices [--json] */
struct devices_out {
	int json;
	struct cli_json j;
	size_t count;
};

static int print_device(const ruhu_device_info *d, void *payload)
{
	struct devices_out *o = payload;
	char enrolled[32], last[32], revoked[32];

	o->count++;
	cli_format_ms(enrolled, sizeof(enrolled), d->enrolled_ms);
	cli_format_ms(last, sizeof(last), d->last_bundle_ms);
	cli_format_ms(revoked, sizeof(revoked), d->revoked_ms);
	if (o->json) {
		cli_json_object_begin(&o->j);
		cli_json_kv_string(&o->j, "id", d->id);
		cli_json_kv_string(&o->j, "worker", d->worker);
		cli_json_kv_string(&o->j, "worker_name", d->worker_name);
		cli_json_kv_string(&o->j, "enrolled", enrolled);
		cli_json_kv_string(&o->j, "last_bundle", d->last_bundle_ms ? last : NULL);
		cli_json_kv_int(&o->j, "last_seq", d->last_seq);
		cli_json_kv_int(&o->j, "waiting", (long long)d->waiting);
		cli_json_kv_bool(&o->j, "revoked", d->revoked_ms != 0);
		cli_json_kv_string(&o->j, "revoked_at", d->revoked_ms ? revoked : NULL);
		cli_json_kv_string(&o->j, "reason", d->revoked_ms ? d->reason : NULL);
		cli_json_object_end(&o->j);
		return 0;
	}
	printf("%-12s %-10s %-12s enrolled %s  last bundle %s  last save merged %lld  waiting %zu",
	       d->id, d->worker, d->worker_name, enrolled, last, (long long)d->last_seq, d->waiting);
	if (d->revoked_ms)
		printf("  REVOKED %s: %s", revoked, d->reason);
	putchar('\n');
	return 0;
}

int cmd_hub_devices(struct cli_ctx *ctx, int argc, const char **argv)
{
	struct devices_out o;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &o.json, "print a JSON array of devices"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (o.json) {
		cli_json_init(&o.j);
		cli_json_array_begin(&o.j);
	}
	if (ruhu_hub_devices(r, print_device, &o) < 0) {
		if (o.json)
			ruhu_buf_dispose(&o.j.buf);
		rc = cli_fail();
		goto done;
	}
	if (o.json) {
		cli_json_array_end(&o.j);
		rc = cli_json_print(&o.j);
	} else if (o.count == 0) {
		printf("no tablet enrolled yet: 'ruhu hub enrol REQUEST ...'\n");
	}
done:
	ruhu_replica_free(r);
	return rc;
}
