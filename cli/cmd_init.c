/*
 * cmd_init.c — `ruhu device init` and `ruhu hub init`: a tablet's or a
 * township hub's replica, ready for saves (see ruhu/sync.h).
 *
 * Design notes
 *  1. Like `replica init`, the folder is the positional DIR (not -C), the
 *     passphrase comes from $RUHU_PASSPHRASE or a prompt asked twice, and the
 *     Argon2id cost from --kdf-ops/--kdf-mem or RUHU_TEST_KDF=fast
 *     (cli_kdf_options, shared with cmd_replica.c).
 *  2. `device init` also writes the tablet's enrolment request (public keys
 *     only, signed) to DIR/<device>.request or --request-out FILE, for the
 *     hub's `ruhu hub enrol`; `ruhu device request` writes it again.
 */
#include <string.h>

#include "cli/commands.h"

/* device init DIR --device ID */
int cmd_device_init(struct cli_ctx *ctx, int argc, const char **argv)
{
	ruhu_replica_options opts = RUHU_REPLICA_OPTIONS_INIT;
	ruhu_buf pass = RUHU_BUF_INIT, path = RUHU_BUF_INIT;
	ruhu_replica *r = NULL;
	const char *device = NULL, *request_out = NULL;
	long ops = 0, mem = 0;
	int rc;
	struct cli_option options[] = {
		CLI_STRING(0, "device", &device, "ID", "the tablet's id, e.g. tab-07"),
		CLI_STRING(0, "request-out", &request_out, "FILE", "where to write the enrolment request "
			   "(default: DIR/ID.request)"),
		CLI_INT(0, "kdf-ops", &ops, "N", "argon2id passes (default 3)"),
		CLI_INT(0, "kdf-mem", &mem, "MIB", "argon2id memory in MiB (default 256)"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if (device == NULL)
		return cli_usage_error(ctx, options, "device init needs --device ID");
	if ((rc = cli_kdf_options(&opts, ops, mem)) != CLI_OK)
		return rc;
	if (cli_passphrase(&pass, "RUHU_PASSPHRASE", "passphrase for the new replica: ", 1) < 0 ||
	    ruhu_device_init(&r, argv[0], device, pass.ptr, pass.size, &opts) < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("created device replica %s for %s\n", argv[0], device);
	if ((rc = cli_write_request(&path, r, argv[0], device, request_out)) != CLI_OK)
		goto done;
	printf("wrote the enrolment request to %s: the hub enrols it with 'ruhu hub enrol'\n",
	       path.ptr);
done:
	ruhu_replica_free(r);
	ruhu_buf_dispose_secure(&pass);
	ruhu_buf_dispose(&path);
	return rc;
}

/* hub init DIR --centre-code CODE --centre-name NAME [--catalogue FILE] */
int cmd_hub_init(struct cli_ctx *ctx, int argc, const char **argv)
{
	ruhu_replica_options opts = RUHU_REPLICA_OPTIONS_INIT;
	ruhu_buf pass = RUHU_BUF_INIT;
	ruhu_replica *r = NULL;
	const char *code = NULL, *name = NULL, *catalogue = NULL;
	long ops = 0, mem = 0;
	ruhu_status st;
	int rc;
	struct cli_option options[] = {
		CLI_STRING(0, "centre-code", &code, "CODE", "the township centre's code, e.g. 320102"),
		CLI_STRING(0, "centre-name", &name, "NAME", "the centre's name"),
		CLI_STRING(0, "catalogue", &catalogue, "FILE", "the centre's own service catalogue "
			   "(default: ruhu's)"),
		CLI_INT(0, "kdf-ops", &ops, "N", "argon2id passes (default 3)"),
		CLI_INT(0, "kdf-mem", &mem, "MIB", "argon2id memory in MiB (default 256)"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if (code == NULL || name == NULL)
		return cli_usage_error(ctx, options,
				       "hub init needs --centre-code and --centre-name");
	if ((rc = cli_kdf_options(&opts, ops, mem)) != CLI_OK)
		return rc;
	if (cli_passphrase(&pass, "RUHU_PASSPHRASE", "passphrase for the new replica: ", 1) < 0 ||
	    ruhu_hub_init(&r, argv[0], code, name, catalogue, pass.ptr, pass.size, &opts) < 0 ||
	    ruhu_status_get(&st, r) < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("created hub replica %s for centre %s (%s), hub id %s\n", argv[0], code, name, st.self);
done:
	ruhu_replica_free(r);
	ruhu_buf_dispose_secure(&pass);
	return rc;
}
