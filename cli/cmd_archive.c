/*
 * cmd_archive.c — `ruhu archive export|verify`: the archive package of
 * closed cases (DOMAIN clause 6.3) and its check (ruhu/audit.h).
 *
 * Design notes
 *  1. The package holds personal data in clear: `export` says so on stderr
 *     every time, like `audit export`.
 *  2. `verify` needs no replica; given one (-C HUB or $RUHU_DIR), it also
 *     checks that the hub's signed history records the package's manifest.
 *  3. Both print for people by default, one JSON document with --json.
 */
#include <string.h>

#include "cli/commands.h"

/* archive export --closed-before DATE OUT [--json] */
int cmd_archive_export(struct cli_ctx *ctx, int argc, const char **argv)
{
	ruhu_archive_opts ao = RUHU_ARCHIVE_OPTS_INIT;
	ruhu_archive_report rep;
	ruhu_replica *r = NULL;
	int json = 0, rc;
	struct cli_option options[] = {
		CLI_STRING(0, "closed-before", &ao.closed_before, "DATE",
			   "cases whose last change is before this day (YYYY-MM-DD)"),
		CLI_BOOL(0, "json", &json, "print what was written as JSON"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if (ao.closed_before == NULL)
		return cli_error(CLI_USAGE, "archive export needs --closed-before DATE");
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_archive_export(&rep, r, argv[0], &ao) < 0) {
		rc = cli_fail();
		goto done;
	}
	cli_warn("the archive package at %s holds personal data in clear (not encrypted): keep it on "
		 "protected storage and hand it only to the archive", argv[0]);
	if (json) {
		struct cli_json j;

		cli_json_init(&j);
		cli_json_object_begin(&j);
		cli_json_kv_string(&j, "folder", argv[0]);
		cli_json_kv_int(&j, "records", (long long)rep.records);
		cli_json_kv_int(&j, "applications", (long long)rep.applications);
		cli_json_kv_int(&j, "disputes", (long long)rep.disputes);
		cli_json_kv_int(&j, "complaints", (long long)rep.complaints);
		cli_json_kv_int(&j, "attachments", (long long)rep.attachments);
		cli_json_kv_int(&j, "files", (long long)rep.files);
		cli_json_kv_int(&j, "bytes", (long long)rep.bytes);
		cli_json_kv_string(&j, "manifest_sha256", rep.manifest_sha256);
		cli_json_kv_string(&j, "commit", rep.commit);
		cli_json_object_end(&j);
		rc = cli_json_print(&j);
		goto done;
	}
	printf("%s\n", rep.commit);
	printf("archived %zu %s (%zu applications, %zu disputes, %zu complaints) with %zu %s in %s\n",
	       rep.records, rep.records == 1 ? "case" : "cases", rep.applications, rep.disputes, rep.complaints,
	       rep.attachments, rep.attachments == 1 ? "attachment" : "attachments", argv[0]);
	printf("%zu files, %llu bytes; manifest-sha256.txt %s, recorded in commit %.12s\n", rep.files,
	       (unsigned long long)rep.bytes, rep.manifest_sha256, rep.commit);
done:
	ruhu_replica_free(r);
	return rc;
}

/* archive verify OUT [--json] */
int cmd_archive_verify(struct cli_ctx *ctx, int argc, const char **argv)
{
	ruhu_archive_check chk;
	ruhu_replica *r = NULL;
	int json = 0, rc = CLI_OK;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &json, "print what was checked as JSON"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if (ctx->dir && ctx->dir[0] && (rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_archive_verify(&chk, argv[0], r) < 0) {
		rc = cli_fail();
		goto done;
	}
	if (json) {
		struct cli_json j;

		cli_json_init(&j);
		cli_json_object_begin(&j);
		cli_json_kv_bool(&j, "ok", 1);
		cli_json_kv_int(&j, "files", (long long)chk.files);
		cli_json_kv_int(&j, "bytes", (long long)chk.bytes);
		cli_json_kv_int(&j, "records", (long long)chk.records);
		cli_json_kv_string(&j, "manifest_sha256", chk.manifest_sha256);
		cli_json_kv_opt(&j, "commit", chk.commit);
		cli_json_object_end(&j);
		rc = cli_json_print(&j);
		goto done;
	}
	printf("verified %s: %zu files (%llu bytes) match the manifest, no file missing or added, %zu %s in "
	       "the catalogue\n", argv[0], chk.files, (unsigned long long)chk.bytes, chk.records,
	       chk.records == 1 ? "case" : "cases");
	if (chk.commit[0])
		printf("recorded by the hub in commit %s (manifest %s)\n", chk.commit, chk.manifest_sha256);
	else
		printf("manifest %s\n", chk.manifest_sha256);
done:
	ruhu_replica_free(r);
	return rc;
}
