/*
 * cmd_sync.c — the tablet's side of sync: `ruhu device request`, `ruhu
 * join`, `ruhu push`, `ruhu pull`, `ruhu sync --via` (ruhu/sync.h; the model
 * is in docs/sync.md §4 and §5).
 *
 * Design notes
 *  1. Every command is one library call between reading and writing files:
 *     ruhu_enrol_request, ruhu_join, ruhu_push, ruhu_pull, ruhu_sync_via.
 *     Files are written atomically by the library (ruhu_file_write), so a
 *     bundle on a USB stick is whole or absent.
 *  2. Bundles and replies are encrypted and signed; the enrolment request
 *     holds public keys only.  Nothing here writes personal data in clear.
 *  3. `join` shows the hub's key id, which the caseworker compares with the
 *     one `ruhu hub enrol` showed at the centre (trust on first use).
 *  4. A refused reply is an error (exit 1, one line on stderr, the library's
 *     message) and changes nothing; `sync --via` still writes the push,
 *     since a push does not depend on the reply.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"

int cli_read_sync_file(ruhu_buf *out, const char *path)
{
	if (ruhu_file_read(out, path, RUHU_FILE_MAX) < 0)
		return cli_fail();
	return CLI_OK;
}

int cli_read_and_open(ruhu_buf *data, ruhu_replica **r, struct cli_ctx *ctx, const char *path)
{
	int rc;

	*r = NULL;
	if ((rc = cli_read_sync_file(data, path)) != CLI_OK)
		return rc;
	return cli_open_replica(ctx, r);
}

int cli_write_request(ruhu_buf *written, ruhu_replica *r, const char *dir, const char *device,
		      const char *out)
{
	ruhu_buf req = RUHU_BUF_INIT;
	int rc = CLI_OK, error;

	if (out)
		error = ruhu_buf_puts(written, out);
	else
		error = ruhu_buf_printf(written, "%s/%s.request", dir, device);
	if (error < 0 || ruhu_enrol_request(&req, r) < 0 ||
	    ruhu_file_write(written->ptr, req.ptr, req.size) < 0)
		rc = cli_fail();
	ruhu_buf_dispose(&req);
	return rc;
}

void cli_format_ms(char *out, size_t size, int64_t ms)
{
	time_t t = (time_t)(ms / 1000 + 8 * 3600);
	struct tm tm;

	if (ms == 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, size, "never");
		return;
	}
	strftime(out, size, "%Y-%m-%d %H:%M", &tm);
}

static void print_pull(const ruhu_pull_report *p)
{
	if (p->up_to_date) {
		printf("already up to date with the hub's main %.12s\n", p->main);
		return;
	}
	printf("%zu main commit%s applied, %zu save%s acknowledged by the hub, %zu redone on top\n",
	       p->main_commits, p->main_commits == 1 ? "" : "s", p->acknowledged,
	       p->acknowledged == 1 ? "" : "s", p->redone);
	printf("hub main %.12s, digest %s\n", p->main, p->digest);
}

/* device request [--out FILE] */
int cmd_device_request(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *out = NULL;
	struct cli_option options[] = {
		CLI_STRING('o', "out", &out, "FILE", "where to write it (default: DIR/<device>.request)"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_buf path = RUHU_BUF_INIT;
	ruhu_status st;
	int rc;

	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_status_get(&st, r) < 0) {
		rc = cli_fail();
		goto done;
	}
	if ((rc = cli_write_request(&path, r, ruhu_replica_path(r), st.self, out)) != CLI_OK)
		goto done;
	printf("wrote the enrolment request of %s to %s\n", st.self, path.ptr);
	printf("the hub takes it with: ruhu -C HUB hub enrol %s --worker ID --worker-name NAME "
	       "--out REPLY\n", path.ptr);
done:
	ruhu_buf_dispose(&path);
	ruhu_replica_free(r);
	return rc;
}

/* join FILE */
int cmd_join(struct cli_ctx *ctx, int argc, const char **argv)
{
	struct cli_option options[] = { CLI_END };
	ruhu_replica *r = NULL;
	ruhu_buf data = RUHU_BUF_INIT;
	ruhu_bundle_info info;
	ruhu_pull_report rep;
	ruhu_status st;
	char keyid[17];
	int rc;

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if ((rc = cli_read_and_open(&data, &r, ctx, argv[0])) != CLI_OK)
		goto done;
	if (ruhu_join(&rep, keyid, r, data.ptr, data.size) < 0 || ruhu_status_get(&st, r) < 0) {
		rc = cli_fail();
		goto done;
	}
	/* the hub's id, as the envelope the join took names it */
	if (ruhu_bundle_inspect(&info, r, data.ptr, data.size, NULL, NULL) < 0) {
		ruhu_error_clear();
		snprintf(info.sender, sizeof(info.sender), "the hub");
	}
	printf("joined %s (centre %s) as %s\n", info.sender, st.centre, st.self);
	printf("hub key id %s: it must be the one 'ruhu hub enrol' showed at the centre\n", keyid);
	printf("worker %s %s\n", st.worker, st.worker_name);
	printf("state: %zu main commit%s applied, digest %s\n", rep.main_commits,
	       rep.main_commits == 1 ? "" : "s", rep.digest);
done:
	ruhu_buf_dispose(&data);
	ruhu_replica_free(r);
	return rc;
}

/* push --out FILE */
int cmd_push(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *out = NULL;
	struct cli_option options[] = {
		CLI_STRING('o', "out", &out, "FILE", "the bundle file to write"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_buf b = RUHU_BUF_INIT;
	size_t n = 0;
	int rc;

	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if (out == NULL)
		return cli_usage_error(ctx, options, "push needs --out FILE");
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_push(&b, &n, r) < 0 || ruhu_file_write(out, b.ptr, b.size) < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("wrote %s: %zu save%s the hub has not acknowledged\n", out, n, n == 1 ? "" : "s");
done:
	ruhu_buf_dispose(&b);
	ruhu_replica_free(r);
	return rc;
}

/* pull FILE */
int cmd_pull(struct cli_ctx *ctx, int argc, const char **argv)
{
	struct cli_option options[] = { CLI_END };
	ruhu_replica *r = NULL;
	ruhu_buf data = RUHU_BUF_INIT;
	ruhu_pull_report rep;
	int rc;

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if ((rc = cli_read_and_open(&data, &r, ctx, argv[0])) != CLI_OK)
		goto done;
	if (ruhu_pull(&rep, r, data.ptr, data.size) < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("pulled %s: ", argv[0]);
	print_pull(&rep);
done:
	ruhu_buf_dispose(&data);
	ruhu_replica_free(r);
	return rc;
}

/* sync --via DIR */
int cmd_sync(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *via = NULL;
	struct cli_option options[] = {
		CLI_STRING(0, "via", &via, "DIR", "the shared folder or USB stick to sync through"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_via_report rep;
	ruhu_status st;
	int rc;

	memset(&rep, 0, sizeof(rep));
	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if (via == NULL)
		return cli_usage_error(ctx, options, "sync needs --via DIR");
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_sync_via(&rep, r, via) < 0 || ruhu_status_get(&st, r) < 0) {
		rc = cli_fail();
		goto done;
	}
	if (!rep.reply_found) {
		printf("no reply for %s in %s yet\n", st.self, via);
	} else if (rep.reply_error == 0) {
		printf("took %s: ", rep.reply_path.ptr);
		print_pull(&rep.pull);
	}
	printf("wrote %s: %zu save%s the hub has not acknowledged\n", rep.push_path.ptr, rep.pushed,
	       rep.pushed == 1 ? "" : "s");
	printf("digest %s\n", st.digest);
	if (rep.reply_error)
		rc = cli_error(CLI_FAIL, "%s refused (left in the folder): %s", rep.reply_path.ptr,
			       rep.reply_message.ptr ? rep.reply_message.ptr : "");
done:
	ruhu_via_report_dispose(&rep);
	ruhu_replica_free(r);
	return rc;
}
