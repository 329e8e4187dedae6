/*
 * main.c — the `ruhu` command: global options, the table of commands, and
 * dispatch (git.c is the model).
 *
 * Design notes
 *  1. `ruhu [-C DIR] [--version] [help] COMMAND [SUBCOMMAND] [ARGS]`.  A command
 *     is found by group and name ("replica init") or by name alone ("add").
 *  2. The table below is the only list of commands: help and dispatch both
 *     read it.
 *  3. Exit codes: 0 ok, 1 runtime error, 2 usage (cli.h, note 1).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"

const struct cli_command cli_commands[] = {
	{ NULL, "help", cmd_help, "ruhu help [COMMAND [SUBCOMMAND]]", "show the commands, or one command's usage" },
	{ NULL, "version", cmd_version, "ruhu version", "print the version" },
	{ "replica", "init", cmd_replica_init, "ruhu replica init [--journal wal|delete] [--kdf-ops N] [--kdf-mem MIB] DIR", "make a new encrypted replica in DIR" },
	{ "replica", "check", cmd_replica_check, "ruhu -C DIR replica check [--json]", "authenticate every page and run the integrity check" },
	{ "replica", "passwd", cmd_replica_passwd, "ruhu -C DIR replica passwd [--kdf-ops N] [--kdf-mem MIB]", "change the passphrase (rewraps the key)" },
	{ "replica", "rekey", cmd_replica_rekey, "ruhu -C DIR replica rekey", "re-encrypt the replica under a new data key" },
	{ NULL, "sql", cmd_sql, "ruhu -C DIR sql [--json] [-m TEXT] SQL", "run SQL on the replica; writes to records are saved as one commit" },
	{ "schema", "show", cmd_schema_show, "ruhu schema show [TYPE] [--json]", "show the record types, their fields, rules and labels" },
	{ "schema", "check", cmd_schema_check, "ruhu schema check FILE...", "check a centre's catalogue, rules or migration files" },
	{ "schema", "validate", cmd_schema_validate, "ruhu schema validate KIND VALUE... [--field NAME]", "check values: id-number, credit-code, mobile, phone, date, datetime, uuid, code" },
	{ "catalogue", "list", cmd_catalogue_list, "ruhu catalogue list [--json] [--catalogue FILE]", "list the service items with their time limits" },
	{ "catalogue", "show", cmd_catalogue_show, "ruhu catalogue show ITEM [--json] [--date YYYY-MM-DD] [--catalogue FILE]", "print an item's one-time notification and promised date" },
	{ "catalogue", "export", cmd_catalogue_export, "ruhu catalogue export [--catalogue FILE]", "print the catalogue file (to start a centre's own)" },
	{ "device", "init", cmd_device_init, "ruhu device init DIR --device ID [--kdf-ops N] [--kdf-mem MIB]", "make a tablet's replica in DIR" },
	{ "device", "request", cmd_device_request, "ruhu -C DIR device request [--out FILE]", "write the tablet's enrolment request again" },
	{ "hub", "init", cmd_hub_init, "ruhu hub init DIR --centre-code CODE --centre-name NAME [--catalogue FILE]", "make a township hub's replica in DIR" },
	{ "hub", "enrol", cmd_hub_enrol, "ruhu -C HUB hub enrol REQUEST --worker ID --worker-name NAME --out FILE", "enrol a tablet; writes the enrolment reply it joins with" },
	{ "hub", "revoke", cmd_hub_revoke, "ruhu -C HUB hub revoke ID --reason TEXT", "revoke a lost or retired tablet: its bundles are refused" },
	{ "hub", "ingest", cmd_hub_ingest, "ruhu -C HUB hub ingest FILE...", "take in tablets' bundles and merge them into main" },
	{ "hub", "reply", cmd_hub_reply, "ruhu -C HUB hub reply --device ID --out FILE", "write the hub's reply for a tablet" },
	{ "hub", "preview", cmd_hub_preview, "ruhu -C HUB hub preview FILE [--json]", "what a bundle would change and which rules would fire; writes nothing" },
	{ "hub", "sync", cmd_hub_sync, "ruhu -C HUB hub sync --via DIR", "ingest every *.push in DIR, then write every tablet's reply there" },
	{ "hub", "review", cmd_hub_review, "ruhu -C HUB hub review [show RID] [--all] [--json]", "list the review queue, or show one item" },
	{ "hub", "resolve", cmd_hub_resolve, "ruhu -C HUB hub resolve RID (--take hub|device|base | --value VALUE) [--reason TEXT]", "resolve a review item with a signed commit on main" },
	{ "hub", "devices", cmd_hub_devices, "ruhu -C HUB hub devices [--json]", "enrolled tablets, their last bundle, what waits, revocations" },
	{ "worker", "use", cmd_worker_use, "ruhu -C DIR worker use ID [--name NAME]", "set the caseworker who holds the tablet" },
	{ NULL, "add", cmd_add, "ruhu -C DIR add TYPE FIELD=VALUE... [-m TEXT]", "add a record; prints its id" },
	{ NULL, "set", cmd_set, "ruhu -C DIR set TYPE ID FIELD=VALUE... [-m TEXT]", "change fields of a record (FIELD= for none)" },
	{ NULL, "delete", cmd_delete, "ruhu -C DIR delete TYPE ID [-m TEXT]", "delete a record (a recorded event)" },
	{ NULL, "get", cmd_get, "ruhu -C DIR get TYPE ID [--json]", "show a record with its field labels" },
	{ NULL, "list", cmd_list, "ruhu -C DIR list TYPE [--where FIELD=VALUE]... [--json]", "list the records of a type" },
	{ "visit", "start", cmd_visit_start, "ruhu -C DIR visit start --household ID --purpose PURPOSE [--location TEXT]", "start a home visit; prints its id" },
	{ "visit", "close", cmd_visit_close, "ruhu -C DIR visit close [--summary TEXT]", "close the open visit" },
	{ NULL, "apply", cmd_apply, "ruhu -C DIR apply ITEM --person ID", "open an application; prints its id and the one-time notification" },
	{ NULL, "receive", cmd_receive, "ruhu -C DIR receive APPLICATION MATERIAL...", "record materials received; prints what is still missing" },
	{ NULL, "attach", cmd_attach, "ruhu -C DIR attach TYPE ID FILE [--caption TEXT] [-m TEXT]", "attach a photo or scan to a record; prints its id" },
	{ NULL, "log", cmd_log, "ruhu -C DIR log [--json] [-n N]", "list the replica's commits, newest first" },
	{ NULL, "show", cmd_show, "ruhu -C DIR show COMMIT [--json]", "show a commit and its changes" },
	{ NULL, "status", cmd_status, "ruhu -C DIR status [--json]", "device, worker, open visit, saves not yet acknowledged, digest" },
	{ NULL, "join", cmd_join, "ruhu -C DIR join FILE", "join the hub with its enrolment reply (takes the township's state)" },
	{ NULL, "push", cmd_push, "ruhu -C DIR push --out FILE", "write a bundle of every save the hub has not acknowledged" },
	{ NULL, "pull", cmd_pull, "ruhu -C DIR pull FILE", "take the hub's reply: apply main, rebase the saves it lacks" },
	{ NULL, "sync", cmd_sync, "ruhu -C DIR sync --via DIR2", "take this tablet's reply from DIR2, then write its bundle there" },
	{ "bundle", "verify", cmd_bundle_verify, "ruhu -C DIR bundle verify FILE [--json]", "check a bundle addressed to this replica: signatures, objects, prerequisites" },
	{ "bundle", "list", cmd_bundle_list, "ruhu -C DIR bundle list FILE [--json]", "show a bundle's sender, refs, prerequisites and commits" },
	{ "bundle", "open", cmd_bundle_open, "ruhu -C DIR bundle open FILE --out OUT.bundle", "decrypt to a plain git bundle (personal data in clear)" },
	{ "audit", "log", cmd_audit_log, "ruhu -C DIR audit log [--graph] [--since DATE] [--device ID] [--worker ID] [--json] [-n N]", "the history with merges, saves, resolutions and signatures" },
	{ "audit", "show", cmd_audit_show, "ruhu -C DIR audit show COMMIT [--json]", "a commit's changes and, for a merge, its decisions" },
	{ "audit", "history", cmd_audit_history, "ruhu -C DIR audit history TYPE ID [--json]", "every version of a record: who, when, device, visit, rule" },
	{ "audit", "blame", cmd_audit_blame, "ruhu -C DIR audit blame TYPE ID [--json]", "each field of a record and the commit and rule that made it so" },
	{ "audit", "verify", cmd_audit_verify, "ruhu -C DIR audit verify [--json]", "check every signature and object, replay the history, compare rows" },
	{ "audit", "export", cmd_audit_export, "ruhu -C DIR audit export OUTDIR [--json]", "write the history as a git repository that stock git verifies" },
	{ "archive", "export", cmd_archive_export, "ruhu -C HUB archive export --closed-before DATE OUT [--json]", "write the archive package of closed cases (catalogue, histories, attachments, SHA-256 manifest)" },
	{ "archive", "verify", cmd_archive_verify, "ruhu [-C HUB] archive verify OUT [--json]", "check an archive package against its manifest (and the hub's record of it)" },
	{ "report", "deadlines", cmd_report_deadlines, "ruhu -C DIR report deadlines [--as-of DATE] [--within N] [--worker ID | --all] [--json]", "applications overdue and due within N working days (6.2.2)" },
	{ "report", "staffing", cmd_report_staffing, "ruhu -C DIR report staffing [--as-of DATE] [--served registered|active] [--per N] [--minimum N] [--json]", "residents served per caseworker against the guide (6.1.1)" },
	{ "report", "satisfaction", cmd_report_satisfaction, "ruhu -C DIR report satisfaction [--by item|worker|month] [--json]", "count, mean and distribution of satisfaction ratings (7.2.1)" },
	{ "report", "complaints", cmd_report_complaints, "ruhu -C DIR report complaints [--as-of DATE] [--json]", "open complaints and those closed without feedback (7.1.3)" },
	{ "report", "overview", cmd_report_overview, "ruhu -C DIR report overview [--as-of DATE] [--within N] [--html FILE | --json]", "the operator's overview: tablets, review queue and every report" },
	{ NULL, NULL, NULL, NULL, NULL }
};

static const struct cli_command *find(const char *group, const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		if (group == NULL && c->group == NULL && !strcmp(c->name, name))
			return c;
		if (group && c->group && !strcmp(c->group, group) && name && !strcmp(c->name, name))
			return c;
	}
	return NULL;
}

static int is_group(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (c->group && !strcmp(c->group, name))
			return 1;
	return 0;
}

static void list_commands(FILE *out)
{
	const char *last = "";

	fputs("usage: ruhu [-C DIR] [--version] COMMAND [ARGS]\n\n"
	      "ruhu keeps a township's home-visit records in an encrypted replica and\n"
	      "syncs tablets with their township hub through signed, encrypted bundles.\n", out);
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		const char *g = c->group ? c->group : "";
		char name[48];

		if (strcmp(g, last)) {
			fprintf(out, "\n");
			last = g;
		} else if (c == cli_commands) {
			fprintf(out, "\n");
		}
		snprintf(name, sizeof(name), "%s%s%s", g, *g ? " " : "", c->name);
		fprintf(out, "   %-24s %s\n", name, c->summary);
	}
	fputs("\nThe replica is the folder given with -C DIR, or $RUHU_DIR. The passphrase\n"
	      "comes from $RUHU_PASSPHRASE, else a prompt on the terminal.\n"
	      "'ruhu help COMMAND' shows the usage and options of one command.\n", out);
}

int cmd_help(struct cli_ctx *ctx, int argc, const char **argv)
{
	const struct cli_command *c = NULL;
	const char *sub[] = { NULL, "--help", NULL };

	if (argc < 2) {
		list_commands(stdout);
		return CLI_OK;
	}
	if (argc >= 3 && is_group(argv[1]))
		c = find(argv[1], argv[2]);
	else if (!is_group(argv[1]))
		c = find(NULL, argv[1]);
	if (c == NULL && is_group(argv[1])) {
		printf("usage: ruhu %s SUBCOMMAND\n\n", argv[1]);
		for (c = cli_commands; c->name; c++)
			if (c->group && !strcmp(c->group, argv[1]))
				printf("   %-24s %s\n", c->usage, c->summary);
		return CLI_OK;
	}
	if (c == NULL)
		return cli_error(CLI_USAGE, "'%s' is not a ruhu command; see 'ruhu help'", argv[1]);
	ctx->cmd = c;
	sub[0] = c->name;
	printf("%s\n\n", c->summary);
	return c->fn(ctx, 2, sub);
}

int cmd_version(struct cli_ctx *ctx, int argc, const char **argv)
{
	printf("ruhu %s\n", RUHU_VERSION);
	return CLI_OK;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { 0 };
	const char **args = (const char **)argv;
	const struct cli_command *c;
	int i = 1;

	ctx.argv0 = argv[0];
	ctx.dir = getenv("RUHU_DIR");
	while (i < argc && args[i][0] == '-') {
		if (!strcmp(args[i], "-C")) {
			if (i + 1 >= argc)
				return cli_error(CLI_USAGE, "option -C needs a folder");
			ctx.dir = args[i + 1];
			i += 2;
		} else if (!strncmp(args[i], "-C", 2)) {
			ctx.dir = args[i] + 2;
			i++;
		} else if (!strcmp(args[i], "--version")) {
			return cmd_version(&ctx, 0, NULL);
		} else if (!strcmp(args[i], "-h") || !strcmp(args[i], "--help")) {
			list_commands(stdout);
			return CLI_OK;
		} else {
			return cli_error(CLI_USAGE, "unknown option '%s'; see 'ruhu help'", args[i]);
		}
	}
	if (i >= argc) {
		list_commands(stderr);
		return CLI_USAGE;
	}
	if (ruhu_init() < 0)
		return cli_fail();
	if (is_group(args[i])) {
		if (i + 1 >= argc || (c = find(args[i], args[i + 1])) == NULL) {
			if (i + 1 < argc)
				cli_error(CLI_USAGE, "'%s %s' is not a ruhu command", args[i], args[i + 1]);
			else
				cli_error(CLI_USAGE, "'%s' needs a subcommand", args[i]);
			ctx.cmd = NULL;
			cmd_help(&ctx, 2, (const char *[]){ "help", args[i], NULL });
			return CLI_USAGE;
		}
		i++;
	} else if ((c = find(NULL, args[i])) == NULL) {
		return cli_error(CLI_USAGE, "'%s' is not a ruhu command; see 'ruhu help'", args[i]);
	}
	ctx.cmd = c;
	return c->fn(&ctx, argc - i, args + i);
}
