/*
 * cmd_audit.c — `ruhu audit export`: the replica's history as a plain git
 * repository that an auditor checks with stock git (core/audit_export.h).
 *
 * Design notes
 *  1. The export holds every record ever saved, in clear (git objects are
 *     only compressed): the command says so on stderr every time, and the
 *     folder is the user's to protect.
 *  2. stdout says what was written and the git command that verifies it.
 */
#include "cli/commands.h"
#include "core/audit_export.h"

/* audit export OUTDIR */
int cmd_audit_export(struct cli_ctx *ctx, int argc, const char **argv)
{
	struct cli_option options[] = { CLI_END };
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
	printf("exported %zu %s and %zu %s to %s (HEAD %s)\n", info.refs,
	       info.refs == 1 ? "branch" : "branches", info.signers,
	       info.signers == 1 ? "signing key" : "signing keys", argv[0],
	       info.head[0] ? info.head : "none");
	printf("verify with: git -C %s log --show-signature\n", argv[0]);
done:
	ruhu_replica_free(r);
	return rc;
}
