/*
 * cmd_bundle.c — `ruhu bundle verify|list|open`: look inside a bundle file
 * addressed to this replica, as `git bundle verify|list-heads` and `git
 * bundle unbundle` do for plain bundles (ruhu/sync.h, "Bundle files").
 *
 * Design notes
 *  1. The replica of -C must be the file's recipient: the hub for a
 *     tablet's bundle, the tablet for a reply or an enrolment reply.  The
 *     sender's key is the one the recipient knows (sync/inspect.c, note 2).
 *  2. `open` is an explicit export: it writes the decrypted git bundle,
 *     which holds personal data in clear, to the file named by --out (mode
 *     0600, atomically) and says so on stderr every time.
 *  3. Reading only: none of these commands changes the replica.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static void print_info(const char *path, const ruhu_bundle_info *info)
{
	char made[32];

	cli_format_ms(made, sizeof(made), info->created * 1000);
	printf("%s: %s from %s to %s, made %s\n", path, info->kind, info->sender, info->recipient, made);
	printf("signed by %s's key, key id %s%s\n", info->sender, info->sender_keyid,
	       info->key_from_file ? " (named by the file itself: compare it with the one the hub "
				     "showed)" : "");
}

static void json_info(struct cli_json *j, const ruhu_bundle_info *info)
{
	cli_json_kv_string(j, "kind", info->kind);
	cli_json_kv_string(j, "sender", info->sender);
	cli_json_kv_string(j, "recipient", info->recipient);
	cli_json_kv_string(j, "sender_keyid", info->sender_keyid);
	cli_json_kv_bool(j, "key_from_file", info->key_from_file);
	cli_json_kv_int(j, "created", info->created);
	cli_json_kv_int(j, "bytes", (long long)info->bytes);
	cli_json_kv_int(j, "objects", (long long)info->objects);
	cli_json_kv_int(j, "missing", (long long)info->missing);
	cli_json_kv_int(j, "bad", (long long)info->bad);
	cli_json_kv_int(j, "unverified", (long long)info->unverified);
}

/* bundle verify FILE [--json] */
int cmd_bundle_verify(struct cli_ctx *ctx, int argc, const char **argv)
{
	int json = 0;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &json, "print what was verified as JSON"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_buf data = RUHU_BUF_INIT;
	ruhu_bundle_info info;
	int rc;

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if ((rc = cli_read_and_open(&data, &r, ctx, argv[0])) != CLI_OK)
		goto done;
	if (ruhu_bundle_verify(&info, r, data.ptr, data.size) < 0) {
		rc = cli_fail();
		goto done;
	}
	if (json) {
		struct cli_json j;

		cli_json_init(&j);
		cli_json_object_begin(&j);
		cli_json_kv_bool(&j, "ok", 1);
		json_info(&j, &info);
		cli_json_kv_int(&j, "commits", (long long)info.ncommits);
		cli_json_kv_int(&j, "refs", (long long)info.nrefs);
		cli_json_kv_int(&j, "prerequisites", (long long)info.nprereqs);
		cli_json_object_end(&j);
		rc = cli_json_print(&j);
		goto done;
	}
	print_info(argv[0], &info);
	printf("ok: %zu commit%s (%zu signed by a key this replica knows, %zu by signers it does not "
	       "know yet), %zu ref%s, %zu prerequisite%s present, %zu objects\n", info.ncommits,
	       info.ncommits == 1 ? "" : "s", info.ncommits - info.unverified, info.unverified,
	       info.nrefs, info.nrefs == 1 ? "" : "s", info.nprereqs, info.nprereqs == 1 ? "" : "s",
	       info.objects);
done:
	ruhu_buf_dispose(&data);
	ruhu_replica_free(r);
	return rc;
}

struct list_out {
	int json;
	struct cli_json j;
	ruhu_bundle_entry_kind section; /* the section open (a JSON array), or 0 */
	size_t nshown[4];
};

static const char *section_name(ruhu_bundle_entry_kind k)
{
	return k == RUHU_BUNDLE_ENTRY_REF ? "refs" : k == RUHU_BUNDLE_ENTRY_PREREQ ? "prerequisites"
									   : "commits";
}

/* Open the section of `k`, closing the one before (entries come in order:
 * refs, prerequisites, commits). */
static void section(struct list_out *o, ruhu_bundle_entry_kind k)
{
	while (o->section != k) {
		if (o->json && o->section)
			cli_json_array_end(&o->j);
		else if (o->section && o->nshown[o->section] == 0)
			printf("  none%s\n", o->section == RUHU_BUNDLE_ENTRY_PREREQ ? " (a full bundle)" : "");
		o->section = o->section ? o->section + 1 : RUHU_BUNDLE_ENTRY_REF;
		if (o->json) {
			cli_json_key(&o->j, section_name(o->section));
			cli_json_array_begin(&o->j);
		} else if (o->section == RUHU_BUNDLE_ENTRY_COMMIT) {
			printf("commits, parents first (seq, caseworker, device, signature as in "
			       "'ruhu log', subject):\n");
		} else {
			printf("%s:\n", section_name(o->section));
		}
	}
}

static int list_entry(const ruhu_bundle_entry *e, void *payload)
{
	struct list_out *o = payload;
	char sig[2] = { e->sig, 0 };

	section(o, e->what);
	o->nshown[e->what]++;
	if (!o->json) {
		if (e->what == RUHU_BUNDLE_ENTRY_REF)
			printf("  %s %s\n", e->id, e->name);
		else if (e->what == RUHU_BUNDLE_ENTRY_PREREQ)
			printf("  %s %s (%s)\n", e->id, e->name, e->present ? "present here" : "MISSING here");
		else
			printf("  %.12s  seq %-4lld %-10s %-10s %c  %s\n", e->id, (long long)e->seq,
			       e->worker[0] ? e->worker : "-", e->device[0] ? e->device : "-", e->sig, e->name);
		return 0;
	}
	cli_json_object_begin(&o->j);
	cli_json_kv_string(&o->j, "id", e->id);
	if (e->what == RUHU_BUNDLE_ENTRY_REF) {
		cli_json_kv_string(&o->j, "name", e->name);
	} else if (e->what == RUHU_BUNDLE_ENTRY_PREREQ) {
		cli_json_kv_string(&o->j, "comment", e->name);
		cli_json_kv_bool(&o->j, "present", e->present);
	} else {
		cli_json_kv_string(&o->j, "subject", e->name);
		cli_json_kv_string(&o->j, "author", e->author);
		cli_json_kv_int(&o->j, "time", e->time);
		cli_json_kv_string(&o->j, "device", e->device);
		cli_json_kv_string(&o->j, "worker", e->worker);
		cli_json_kv_int(&o->j, "seq", e->seq);
		cli_json_kv_string(&o->j, "hlc", e->hlc);
		cli_json_kv_string(&o->j, "signature", sig);
		cli_json_parents(&o->j, e->parents, e->nparents);
	}
	cli_json_object_end(&o->j);
	return 0;
}

/* bundle list FILE [--json] */
int cmd_bundle_list(struct cli_ctx *ctx, int argc, const char **argv)
{
	struct list_out o;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &o.json, "print the bundle as JSON"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_buf data = RUHU_BUF_INIT;
	ruhu_bundle_info info;
	int rc;

	memset(&o, 0, sizeof(o));
	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if ((rc = cli_read_and_open(&data, &r, ctx, argv[0])) != CLI_OK)
		goto done;
	if (o.json) {
		cli_json_init(&o.j);
		cli_json_object_begin(&o.j);
	}
	if (ruhu_bundle_inspect(&info, r, data.ptr, data.size, list_entry, &o) < 0) {
		if (o.json)
			ruhu_buf_dispose(&o.j.buf);
		rc = cli_fail();
		goto done;
	}
	section(&o, RUHU_BUNDLE_ENTRY_COMMIT);
	if (o.json) {
		cli_json_array_end(&o.j);
		json_info(&o.j, &info);
		cli_json_object_end(&o.j);
		rc = cli_json_print(&o.j);
		goto done;
	}
	if (info.ncommits == 0)
		printf("  none\n");
	print_info(argv[0], &info);
	printf("%zu commit%s, %zu objects, %zu bytes of git bundle inside\n", info.ncommits,
	       info.ncommits == 1 ? "" : "s", info.objects, info.bytes);
done:
	ruhu_buf_dispose(&data);
	ruhu_replica_free(r);
	return rc;
}

/* bundle open FILE --out OUT.bundle */
int cmd_bundle_open(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *out = NULL;
	struct cli_option options[] = {
		CLI_STRING('o', "out", &out, "FILE", "the plain git bundle to write (personal data in clear)"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_buf data = RUHU_BUF_INIT, plain = RUHU_BUF_INIT;
	ruhu_bundle_info info;
	int rc;

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if (out == NULL)
		return cli_usage_error(ctx, options, "bundle open needs --out FILE");
	if ((rc = cli_read_and_open(&data, &r, ctx, argv[0])) != CLI_OK)
		goto done;
	if (ruhu_bundle_open(&plain, &info, r, data.ptr, data.size) < 0 ||
	    ruhu_file_write(out, plain.ptr, plain.size) < 0) {
		rc = cli_fail();
		goto done;
	}
	cli_warn("%s holds personal data in clear: keep it on protected storage and delete it when "
		 "done", out);
	printf("wrote %s: the git bundle of the %s from %s (%zu commit%s, %zu bytes); stock git "
	       "reads it: git clone %s\n", out, info.kind, info.sender, info.ncommits,
	       info.ncommits == 1 ? "" : "s", info.bytes, out);
done:
	ruhu_buf_dispose(&data);
	ruhu_buf_dispose_secure(&plain);
	ruhu_replica_free(r);
	return rc;
}
