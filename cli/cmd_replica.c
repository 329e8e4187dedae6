/*
 * cmd_replica.c — `ruhu replica init|check|passwd|rekey` and `ruhu sql`, and
 * cli_open_replica, which every command that works on a replica uses.
 *
 * Design notes
 *  1. The replica is the folder of -C DIR or $RUHU_DIR (cli_replica_dir),
 *     except for `replica init DIR`, which names the folder to make.
 *  2. Passphrases: $RUHU_PASSPHRASE, else a prompt without echo; the new one
 *     of `passwd` from $RUHU_NEW_PASSPHRASE, else a prompt asked twice.
 *  3. The Argon2id cost of a new key file is --kdf-ops/--kdf-mem, else the
 *     library's default (about 0.5 s); with RUHU_TEST_KDF=fast in the
 *     environment the cheapest cost is used (test suites run hundreds of
 *     commands; docs/encryption.md).  Opening always uses the cost stored in
 *     the key file.
 *  4. `ruhu sql` runs its text through run_sql() alone, which on a replica
 *     with record tables makes its writes one save (one signed commit).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"

int cli_kdf_options(ruhu_replica_options *opts, long ops, long mem_mib)
{
	const char *t = getenv("RUHU_TEST_KDF");

	if (ops < 0 || mem_mib < 0 || mem_mib > 4096)
		return cli_error(CLI_USAGE, "--kdf-ops and --kdf-mem must be positive (--kdf-mem at most 4096 MiB)");
	if (t && !strcmp(t, "fast")) {
		opts->kdf_opslimit = 1;
		opts->kdf_memlimit = 8192;
	}
	if (ops)
		opts->kdf_opslimit = (uint64_t)ops;
	if (mem_mib)
		opts->kdf_memlimit = (uint64_t)mem_mib << 20;
	return CLI_OK;
}

int cli_open_replica(struct cli_ctx *ctx, ruhu_replica **out)
{
	ruhu_buf pass = RUHU_BUF_INIT, prompt = RUHU_BUF_INIT;
	const char *dir = cli_replica_dir(ctx);
	int rc = CLI_OK;

	*out = NULL;
	if (dir == NULL)
		return CLI_USAGE;
	if (ruhu_buf_printf(&prompt, "passphrase for replica %s: ", dir) < 0 ||
	    cli_passphrase(&pass, "RUHU_PASSPHRASE", prompt.ptr, 0) < 0 ||
	    ruhu_replica_open(out, dir, pass.ptr, pass.size, NULL) < 0)
		rc = cli_fail();
	ruhu_buf_dispose_secure(&pass);
	ruhu_buf_dispose(&prompt);
	return rc;
}

int cmd_replica_init(struct cli_ctx *ctx, int argc, const char **argv)
{
	ruhu_replica_options opts = RUHU_REPLICA_OPTIONS_INIT;
	ruhu_buf pass = RUHU_BUF_INIT;
	ruhu_replica *r = NULL;
	const char *journal = NULL;
	long ops = 0, mem = 0;
	int rc;
	struct cli_option options[] = {
		CLI_STRING(0, "journal", &journal, "MODE", "wal (default) or delete"),
		CLI_INT(0, "kdf-ops", &ops, "N", "argon2id passes (default 3)"),
		CLI_INT(0, "kdf-mem", &mem, "MIB", "argon2id memory in MiB (default 256)"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if ((rc = cli_kdf_options(&opts, ops, mem)) != CLI_OK)
		return rc;
	if (journal && !strcmp(journal, "delete"))
		opts.journal_mode = RUHU_JOURNAL_DELETE;
	else if (journal && strcmp(journal, "wal"))
		return cli_error(CLI_USAGE, "--journal must be wal or delete, not '%s'", journal);
	if (cli_passphrase(&pass, "RUHU_PASSPHRASE", "passphrase for the new replica: ", 1) < 0 ||
	    ruhu_replica_create(&r, argv[0], pass.ptr, pass.size, &opts) < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("created replica %s\n", argv[0]);
done:
	ruhu_replica_free(r);
	ruhu_buf_dispose_secure(&pass);
	return rc;
}

int cmd_replica_check(struct cli_ctx *ctx, int argc, const char **argv)
{
	ruhu_replica_check_report rep;
	ruhu_replica *r = NULL;
	int json = 0, rc, error;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &json, "print the report as JSON"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	error = ruhu_replica_check(r, &rep);
	if (error < 0 && error != RUHU_ECORRUPT) {
		rc = cli_fail();
		goto done;
	}
	if (json) {
		struct cli_json j;

		cli_json_init(&j);
		cli_json_object_begin(&j);
		cli_json_kv_bool(&j, "ok", error == 0);
		cli_json_kv_int(&j, "pages", rep.pages);
		cli_json_kv_int(&j, "pages_failed", rep.pages_failed);
		cli_json_kv_int(&j, "first_failed_page", rep.first_failed_page);
		cli_json_kv_int(&j, "integrity_errors", rep.integrity_errors);
		cli_json_kv_string(&j, "first_error", rep.first_error);
		cli_json_object_end(&j);
		cli_json_print(&j);
	} else if (error == 0) {
		printf("replica %s: ok (%lld pages authenticated, integrity ok)\n",
		       ruhu_replica_path(r), (long long)rep.pages);
	}
	rc = error == 0 ? CLI_OK : cli_fail();
done:
	ruhu_replica_free(r);
	return rc;
}

int cmd_replica_passwd(struct cli_ctx *ctx, int argc, const char **argv)
{
	ruhu_replica_options opts = RUHU_REPLICA_OPTIONS_INIT;
	ruhu_buf pass = RUHU_BUF_INIT;
	ruhu_replica *r = NULL;
	long ops = 0, mem = 0;
	int rc;
	struct cli_option options[] = {
		CLI_INT(0, "kdf-ops", &ops, "N", "argon2id passes (default 3)"),
		CLI_INT(0, "kdf-mem", &mem, "MIB", "argon2id memory in MiB (default 256)"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if ((rc = cli_kdf_options(&opts, ops, mem)) != CLI_OK)
		return rc;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (cli_passphrase(&pass, "RUHU_NEW_PASSPHRASE", "new passphrase: ", 1) < 0 ||
	    ruhu_replica_change_passphrase(r, pass.ptr, pass.size, &opts) < 0)
		rc = cli_fail();
	else
		printf("changed the passphrase of replica %s\n", ruhu_replica_path(r));
	ruhu_replica_free(r);
	ruhu_buf_dispose_secure(&pass);
	return rc;
}

int cmd_replica_rekey(struct cli_ctx *ctx, int argc, const char **argv)
{
	struct cli_option options[] = { CLI_END };
	ruhu_replica *r = NULL;
	int rc;

	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_replica_rekey(r) < 0)
		rc = cli_fail();
	else
		printf("re-encrypted replica %s under a new data key\n", ruhu_replica_path(r));
	ruhu_replica_free(r);
	return rc;
}

/* ---- sql ---- */

struct sql_out {
	int json;
	const char *message;  /* -m: the subject of a save */
	struct cli_json j;
};

static int print_row(int stmt, int ncols, const char *const *names, const ruhu_value *v,
		     void *payload)
{
	struct sql_out *o = payload;

	if (o->json) {
		cli_json_object_begin(&o->j);
		for (int i = 0; i < ncols; i++) {
			cli_json_key(&o->j, names[i]);
			switch (v[i].type) {
			case RUHU_VALUE_INTEGER: cli_json_int(&o->j, v[i].i); break;
			case RUHU_VALUE_REAL: cli_json_double(&o->j, v[i].d); break;
			case RUHU_VALUE_TEXT: cli_json_stringn(&o->j, v[i].p, v[i].len); break;
			case RUHU_VALUE_BLOB: {
				ruhu_buf hex = RUHU_BUF_INIT;

				if (ruhu_buf_puthex(&hex, v[i].p, v[i].len) < 0)
					o->j.failed = 1;
				cli_json_string(&o->j, hex.ptr ? hex.ptr : "");
				ruhu_buf_dispose(&hex);
				break;
			}
			default: cli_json_null(&o->j);
			}
		}
		cli_json_object_end(&o->j);
		return 0;
	}
	for (int i = 0; i < ncols; i++) {
		if (i)
			putchar('|');
		switch (v[i].type) {
		case RUHU_VALUE_INTEGER: printf("%lld", (long long)v[i].i); break;
		case RUHU_VALUE_REAL: printf("%.17g", v[i].d); break;
		case RUHU_VALUE_TEXT: fwrite(v[i].p, 1, v[i].len, stdout); break;
		case RUHU_VALUE_BLOB:
			fputs("x'", stdout);
			for (size_t k = 0; k < v[i].len; k++)
				printf("%02x", (unsigned char)v[i].p[k]);
			putchar('\'');
			break;
		default: break;
		}
	}
	putchar('\n');
	return 0;
}

/*
 * Note 4: the one place `ruhu sql` runs its text.  On a replica with record
 * tables the text runs inside one save, so its writes to records become one
 * signed commit like any other save, and a query that writes nothing makes
 * none; BEGIN and COMMIT in the text are refused (the save is the
 * transaction).  A replica without record tables (`replica init`) runs the
 * text as written.
 */
static int run_sql(ruhu_replica *r, const char *sql, struct sql_out *o)
{
	ruhu_edit *e = NULL;
	ruhu_save_info info;
	int error;

	if ((error = ruhu_edit_begin(&e, r)) == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		return ruhu_replica_sql(r, sql, print_row, o);
	}
	if (error < 0)
		return error;
	if ((error = ruhu_edit_sql(e, sql, print_row, o)) == 0 &&
	    (error = ruhu_edit_commit(e, o->message, &info)) == 0 && info.committed)
		cli_print_save(stderr, &info);
	ruhu_edit_free(e);
	return error;
}

int cmd_sql(struct cli_ctx *ctx, int argc, const char **argv)
{
	struct sql_out o = { 0 };
	ruhu_replica *r = NULL;
	int rc, error;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &o.json, "print the rows as a JSON array of objects"),
		CLI_STRING('m', "message", &o.message, "TEXT", "the subject of the commit of its writes"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (o.json) {
		cli_json_init(&o.j);
		cli_json_array_begin(&o.j);
	}
	error = run_sql(r, argv[0], &o);
	if (o.json) {
		cli_json_array_end(&o.j);
		if (error == 0)
			cli_json_print(&o.j);
		else
			ruhu_buf_dispose(&o.j.buf);
	}
	rc = error < 0 ? cli_fail() : CLI_OK;
	ruhu_replica_free(r);
	return rc;
}
