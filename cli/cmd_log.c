/*
 * cmd_log.c — reading the replica's history and state: `ruhu log`, `ruhu
 * show`, `ruhu status` (see ruhu/core.h, "History").
 *
 * Design notes
 *  1. `log` prints one line per commit, newest first, like `git log
 *     --oneline` with columns: short id, local time of the author, worker,
 *     device, visit (or -), the signature letter, the subject.  The
 *     signature letters are git's %G? ones: G good, B bad, U unknown key,
 *     R revoked key, N none, E unreadable.
 *  2. Times are printed in the zone the commit was made in (its author
 *     offset), which is the centre's.
 *  3. --json output has stable keys; a commit without a visit has
 *     "visit": null.
 *  4. `log` walks the replica's own branch; `log --main` the hub's main (on
 *     a tablet: refs/remotes/hub/main, as far as it has pulled), where the
 *     hub's merges, enrolments and review resolutions are.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"

/* "2026-11-27 09:14" (human) or "2026-11-27T09:14:13+08:00" (iso). */
static void format_time(char *out, size_t size, int64_t when, int offset, int iso)
{
	time_t t = (time_t)(when + (int64_t)offset * 60);
	struct tm tm;
	int off = offset < 0 ? -offset : offset;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, size, "?");
		return;
	}
	if (!iso) {
		strftime(out, size, "%Y-%m-%d %H:%M", &tm);
		return;
	}
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 offset < 0 ? '-' : '+', off / 60, off % 60);
}

static void json_entry(struct cli_json *j, const ruhu_log_entry *e)
{
	char when[128], sig[2] = { e->sig, 0 };

	format_time(when, sizeof(when), e->time, e->offset, 1);
	cli_json_object_begin(j);
	cli_json_kv_string(j, "id", e->id);
	cli_json_kv_int(j, "seq", e->seq);
	cli_json_kv_string(j, "time", when);
	cli_json_kv_string(j, "author", e->author);
	cli_json_kv_string(j, "author_email", e->author_email);
	cli_json_kv_string(j, "committer", e->committer);
	cli_json_kv_string(j, "device", e->device);
	cli_json_kv_string(j, "worker", e->worker);
	cli_json_kv_opt(j, "visit", e->visit);
	cli_json_kv_string(j, "hlc", e->hlc);
	cli_json_kv_string(j, "digest", e->digest);
	cli_json_kv_string(j, "subject", e->subject);
	cli_json_kv_string(j, "signature", sig);
	cli_json_parents(j, e->parents, e->nparents);
	cli_json_object_end(j);
}

struct log_out {
	int json;
	long max;          /* -n; LONG_MIN (not given): all */
	long count;
	struct cli_json j;
};

static int log_line(const ruhu_log_entry *e, void *payload)
{
	struct log_out *o = payload;
	char when[128];

	if (o->max != LONG_MIN && o->count >= o->max)
		return 1; /* stop the walk */
	o->count++;
	if (o->json) {
		json_entry(&o->j, e);
		return 0;
	}
	format_time(when, sizeof(when), e->time, e->offset, 0);
	printf("%.12s  %s  %-8s %-10s %-36s %c  %s\n", e->id, when, e->worker[0] ? e->worker : "-",
	       e->device[0] ? e->device : "-", e->visit[0] ? e->visit : "-", e->sig, e->subject);
	return 0;
}

/* log [--json] [-n N] [--main] */
int cmd_log(struct cli_ctx *ctx, int argc, const char **argv)
{
	struct log_out o = { .max = LONG_MIN };
	ruhu_replica *r = NULL;
	ruhu_status st;
	const char *ref = NULL;
	int rc, main_ = 0;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &o.json, "print a JSON array of commits"),
		CLI_INT('n', "max-count", &o.max, "N", "show at most N commits, the newest"),
		CLI_BOOL(0, "main", &main_, "the hub's main (on a tablet: as far as it has pulled)"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if (o.max != LONG_MIN && o.max < 0)
		return cli_error(CLI_USAGE, "-n must not be negative");
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (main_ && ruhu_status_get(&st, r) < 0) {
		rc = cli_fail();
		ruhu_replica_free(r);
		return rc;
	}
	if (main_)
		ref = strcmp(st.role, "hub") ? "refs/remotes/hub/main" : "refs/heads/main";
	if (o.json) {
		cli_json_init(&o.j);
		cli_json_array_begin(&o.j);
	}
	if (ruhu_log(r, ref, 0, log_line, &o) < 0) {
		rc = cli_fail();
		ruhu_buf_dispose(&o.j.buf);
	} else if (o.json) {
		cli_json_array_end(&o.j);
		rc = cli_json_print(&o.j);
	}
	ruhu_replica_free(r);
	return rc;
}

struct show_out {
	struct cli_json *j;
};

static int show_json(const ruhu_log_entry *e, void *payload)
{
	struct show_out *o = payload;

	json_entry(o->j, e);
	return 0;
}

/* show COMMIT [--json] */
int cmd_show(struct cli_ctx *ctx, int argc, const char **argv)
{
	int json = 0, rc;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &json, "print the commit and its changes as JSON"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_buf text = RUHU_BUF_INIT, changes = RUHU_BUF_INIT, decisions = RUHU_BUF_INIT;

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (json) {
		struct cli_json j;
		struct show_out o = { &j };

		cli_json_init(&j);
		cli_json_object_begin(&j);
		cli_json_key(&j, "commit");
		if (ruhu_show_entry(&changes, &decisions, r, argv[0], show_json, &o) < 0) {
			rc = cli_fail();
			ruhu_buf_dispose(&j.buf);
			goto done;
		}
		cli_json_lines(&j, "changes", changes.ptr, changes.size);
		cli_json_lines(&j, "decisions", decisions.ptr, decisions.size);
		cli_json_object_end(&j);
		rc = cli_json_print(&j);
	} else if (ruhu_show(&text, r, argv[0]) < 0) {
		rc = cli_fail();
	} else {
		fwrite(text.ptr, 1, text.size, stdout);
	}
done:
	ruhu_buf_dispose(&text);
	ruhu_buf_dispose(&changes);
	ruhu_buf_dispose(&decisions);
	ruhu_replica_free(r);
	return rc;
}

/* status [--json] */
int cmd_status(struct cli_ctx *ctx, int argc, const char **argv)
{
	int json = 0, rc;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &json, "print the state as JSON"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_status st;

	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_status_get(&st, r) < 0) {
		rc = cli_fail();
		goto done;
	}
	if (json) {
		struct cli_json j;

		cli_json_init(&j);
		cli_json_object_begin(&j);
		cli_json_kv_string(&j, "role", st.role);
		cli_json_kv_string(&j, "id", st.self);
		cli_json_kv_string(&j, "centre", st.centre);
		cli_json_kv_string(&j, "worker", st.worker);
		cli_json_kv_string(&j, "worker_name", st.worker_name);
		cli_json_kv_opt(&j, "visit", st.visit);
		cli_json_kv_int(&j, "seq", st.seq);
		cli_json_kv_int(&j, "pending", st.pending);
		cli_json_kv_string(&j, "head", st.head);
		cli_json_kv_string(&j, "main", st.main);
		cli_json_kv_string(&j, "digest", st.digest);
		cli_json_kv_string(&j, "schema", st.schema);
		cli_json_object_end(&j);
		rc = cli_json_print(&j);
		goto done;
	}
	printf("%s %s of centre %s, replica %s\n", st.role[0] ? st.role : "replica", st.self,
	       st.centre, ruhu_replica_path(r));
	if (st.worker[0])
		printf("worker   %s %s\n", st.worker, st.worker_name);
	else
		printf("worker   none: run 'ruhu worker use ID --name NAME'\n");
	printf("visit    %s\n", st.visit[0] ? st.visit : "none open");
	printf("saves    %lld made, %lld not yet acknowledged by the hub\n", (long long)st.seq,
	       (long long)st.pending);
	printf("head     %s\n", st.head[0] ? st.head : "none");
	printf("hub main %s\n", st.main[0] ? st.main : "none");
	printf("digest   %s\n", st.digest[0] ? st.digest : "none");
	printf("schema   %s\n", st.schema);
done:
	ruhu_replica_free(r);
	return rc;
}
