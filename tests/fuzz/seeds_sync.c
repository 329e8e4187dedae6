/*
 * seeds_sync.c — writes the seed corpora of the envelope, bundle and merge
 * fuzz targets from real files the library makes (built as
 * fuzz_seeds_sync; not a test):
 *
 *   fuzz_seeds_sync tests/fuzz/corpus
 *
 * A hub and a joined tablet in a temporary folder (cheap key derivation):
 *   envelope/  the tablet's bundle, the hub's reply and enrolment reply as
 *              they travel (signed by their own keys), and the same bodies
 *              sealed with the fuzz target's test keys (envelope_fuzz.c), so
 *              that mutations get past the signature;
 *   bundle/    the git bundle inside the tablet's envelope, the one inside
 *              the hub's reply, a full bundle of the tablet's branch, and one
 *              with prerequisites;
 *   merge/     the canonical changesets of a tablet's saves made on the rows
 *              of merge_seed.h under an SQLite session, as a save makes them.
 * and a few edge cases: files cut short, a bundle header without its pack,
 * a changeset in the order SQLite wrote it.  Files are named by what they
 * are; running it again replaces them (the random keys and times make
 * other bytes, the same shapes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/changeset.h"
#include "core/identity.h"
#include "core/refs.h"
#include "core/replica.h"
#include "core/save.h"
#include "merge_seed.h"
#include "ruhu/sync.h"
#include "schema/schema_db.h"
#include "sync/body.h"
#include "sync/bundle.h"
#include "sync/envelope.h"

static const char *out_dir;

static void die(const char *what)
{
	fprintf(stderr, "seeds_sync: %s: %s\n", what, ruhu_error_last());
	exit(1);
}

#define OK(expr) do { if ((expr) < 0) die(#expr); } while (0)

static void put(const char *corpus, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, corpus);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, corpus, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "seeds_sync: cannot write %s\n", path);
		exit(1);
	}
	printf("%s (%zu bytes)\n", path, len);
}

/* ---- envelopes sealed with the fuzz target's test keys ---- */

static void test_keys(ruhu_signkey **sign, ruhu_boxkey **box)
{
	unsigned char seed[RUHU_SEEDBYTES], rec[RUHU_KEY_STOREBYTES];

	memset(seed, 0x5e, sizeof(seed));
	OK(ruhu_signkey_from_seed(sign, seed));
	memcpy(rec, "RHK1\2\0\0\0", 8);
	memset(rec + 8, 0xb0, 32);
	if (crypto_scalarmult_base(rec + 40, rec + 8) != 0)
		die("crypto_scalarmult_base");
	OK(ruhu_boxkey_load(box, rec, sizeof(rec)));
}

static void put_sealed(const char *name, unsigned int kind, const void *body, size_t len)
{
	ruhu_envelope_opts eo = RUHU_ENVELOPE_OPTS_INIT;
	ruhu_signkey *sign = NULL;
	ruhu_boxkey *box = NULL;
	ruhu_buf env = RUHU_BUF_INIT;

	test_keys(&sign, &box);
	eo.kind = kind;
	eo.sender = "tab-07";
	eo.recipient = "hub-320102";
	eo.recipient_key = ruhu_boxkey_public(box);
	eo.created = 1795741200;
	OK(ruhu_envelope_seal(&env, &eo, sign, body, len));
	put("envelope", name, env.ptr, env.size);
	ruhu_buf_dispose(&env);
	ruhu_signkey_free(sign);
	ruhu_boxkey_free(box);
}

/* ---- a hub and a tablet ---- */

static ruhu_replica_options fast(void)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;

	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	return o;
}

static void save(ruhu_replica *d, int n)
{
	ruhu_edit *e = NULL;
	char hh[RUHU_ID_SIZE], addr[64];
	unsigned char photo[2000];

	snprintf(addr, sizeof(addr), "梅园新村 %d 号", n);
	OK(ruhu_edit_begin(&e, d));
	{
		ruhu_assign h[] = { { "address", addr }, { "phone", "13800000001" } };
		ruhu_assign p[] = { { "household_id", hh }, { "name", "张伟" }, { "phone", "13800000002" } };

		OK(ruhu_edit_insert(e, "household", h, 2, hh));
		OK(ruhu_edit_insert(e, "person", p, 3, NULL));
	}
	randombytes_buf(photo, sizeof(photo));
	memcpy(photo, "\xff\xd8\xff\xe0", 4);
	OK(ruhu_edit_attach(e, "household", hh, photo, sizeof(photo), "门牌", NULL));
	OK(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
}

/* The plaintext of an envelope addressed to `r`. */
static void open_for(ruhu_buf *out, ruhu_replica *r, const void *data, size_t len,
		     const unsigned char sender_pk[32])
{
	ruhu_envelope env;
	ruhu_boxkey *box = NULL;

	OK(ruhu_envelope_parse(&env, data, len));
	OK(ruhu_identity_boxkey(&box, r));
	OK(ruhu_envelope_open(out, &env, sender_pk, box));
	ruhu_boxkey_free(box);
}

static void township(const char *tmp)
{
	ruhu_replica_options o = fast();
	ruhu_replica *hub = NULL, *tab = NULL;
	ruhu_buf req = RUHU_BUF_INIT, reply = RUHU_BUF_INIT, push = RUHU_BUF_INIT,
		 answer = RUHU_BUF_INIT, plain = RUHU_BUF_INIT, full = RUHU_BUF_INIT, thin = RUHU_BUF_INIT;
	ruhu_ingest_report ir;
	ruhu_pull_report pr;
	ruhu_body body;
	const unsigned char *sec;
	unsigned char tab_pk[32], tab_bk[32], hub_pk[32], hub_bk[32];
	git_repository *repo;
	git_oid head, main;
	char p[4200], keyid[17];
	const char *env_at;
	size_t n;

	snprintf(p, sizeof(p), "%s/hub", tmp);
	OK(ruhu_hub_init(&hub, p, "320102", "梅园新村街道人社服务中心", NULL, "pw", 2, &o));
	OK(ruhu_worker_use(hub, "op-01", "李娜"));
	snprintf(p, sizeof(p), "%s/tab-07", tmp);
	OK(ruhu_device_init(&tab, p, "tab-07", "pw", 2, &o));
	OK(ruhu_enrol_request(&req, tab));
	OK(ruhu_hub_enrol(&reply, hub, req.ptr, req.size, "w-01", "王芳"));
	/* the enrolment reply: a line with the hub's key, a blank line, an envelope */
	env_at = strstr(reply.ptr, "\n\n");
	if (env_at == NULL)
		die("enrolment reply without its envelope");
	put("envelope", "enrol-reply.env", env_at + 2, reply.size - (size_t)(env_at + 2 - reply.ptr));
	OK(ruhu_join(&pr, keyid, tab, reply.ptr, reply.size));
	OK(ruhu_identity_public(tab_pk, tab_bk, tab));
	OK(ruhu_identity_public(hub_pk, hub_bk, hub));

	save(tab, 1);
	save(tab, 2);
	OK(ruhu_push(&push, NULL, tab));
	put("envelope", "device-bundle.env", push.ptr, push.size);
	open_for(&plain, hub, push.ptr, push.size, tab_pk);
	put("bundle", "device.bundle", plain.ptr, plain.size);
	put_sealed("device-bundle-testkeys.env", RUHU_ENVELOPE_DEVICE_BUNDLE, plain.ptr, plain.size);
	put_sealed("empty-testkeys.env", RUHU_ENVELOPE_DEVICE_BUNDLE, "", 0);

	/* edge cases: cut short */
	put("envelope", "device-bundle-cut.env", push.ptr, push.size / 2);
	put("bundle", "header-only.bundle", plain.ptr, (size_t)(strstr(plain.ptr, "\n\nPACK") + 2 - plain.ptr));
	put("bundle", "pack-cut.bundle", plain.ptr, plain.size - 21);

	OK(ruhu_hub_ingest(&ir, hub, push.ptr, push.size, NULL));
	ruhu_ingest_report_dispose(&ir);
	OK(ruhu_hub_reply(&answer, hub, "tab-07"));
	put("envelope", "hub-reply.env", answer.ptr, answer.size);
	ruhu_buf_clear(&plain);
	open_for(&plain, tab, answer.ptr, answer.size, hub_pk);
	put_sealed("hub-reply-testkeys.env", RUHU_ENVELOPE_HUB_REPLY, plain.ptr, plain.size);
	OK(ruhu_body_parse(&body, plain.ptr, plain.size));
	if ((sec = ruhu_body_section(&body, "bundle", &n)) == NULL)
		die("a reply without a bundle");
	put("bundle", "reply.bundle", sec, n);
	OK(ruhu_pull(&pr, tab, answer.ptr, answer.size));

	/* a full bundle of the tablet's branch, and one of its last save only */
	save(tab, 3);
	OK(ruhu_replica_repo(&repo, tab));
	OK(ruhu_refs_get(&head, ruhu_replica_db(tab), "refs/heads/device"));
	OK(ruhu_refs_get(&main, ruhu_replica_db(tab), "refs/remotes/hub/main"));
	{
		ruhu_bundle_ref refs[2] = { { "refs/heads/device", head }, { "refs/remotes/hub/main", main } };

		OK(ruhu_bundle_create(&full, repo, refs, 2, NULL, 0));
		put("bundle", "full.bundle", full.ptr, full.size);
		OK(ruhu_bundle_create(&thin, repo, refs, 1, &main, 1));
		put("bundle", "prerequisites.bundle", thin.ptr, thin.size);
	}
	ruhu_replica_free(tab);
	ruhu_replica_free(hub);
	ruhu_buf_dispose(&req);
	ruhu_buf_dispose(&reply);
	ruhu_buf_dispose(&push);
	ruhu_buf_dispose(&answer);
	ruhu_buf_dispose_secure(&plain);
	ruhu_buf_dispose(&full);
	ruhu_buf_dispose(&thin);
}

/* ---- the tablet's changesets of merge_seed.h ---- */

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "seeds_sync: %s: %s\n", sql, err ? err : "");
		exit(1);
	}
}

static void changesets(void)
{
	ruhu_schema *schema = NULL;
	const char **tables = NULL;
	size_t ntables;

	OK(ruhu_schema_load_default(&schema));
	OK(ruhu_save_tables(&tables, &ntables, schema));
	for (size_t i = 0; i < MS_NDEVICE; i++) {
		sqlite3 *db = NULL;
		sqlite3_session *session = NULL;
		ruhu_buf canon = RUHU_BUF_INIT;
		void *cs = NULL;
		int len = 0;
		char name[64];

		if (sqlite3_open(":memory:", &db) != SQLITE_OK)
			die("sqlite3_open");
		OK(ruhu_schema_register(db));
		OK(ruhu_schema_install(db, schema));
		exec(db, ms_base_sql);
		if (sqlite3session_create(db, "main", &session) != SQLITE_OK)
			die("sqlite3session_create");
		OK(ruhu_schema_attach_session(session, schema));
		exec(db, ms_device_sql[i]);
		if (sqlite3session_changeset(session, &len, &cs) != SQLITE_OK || len <= 0)
			die("sqlite3session_changeset");
		OK(ruhu_changeset_canonicalize(&canon, cs, (size_t)len, tables, ntables));
		snprintf(name, sizeof(name), "save-%02zu.changeset", i + 1);
		put("merge", name, canon.ptr, canon.size);
		if (i == 4) {
			/* edge cases: cut short, and out of canonical order */
			put("merge", "save-05-cut.changeset", canon.ptr, canon.size - 7);
			put("merge", "save-05-raw.changeset", cs, (size_t)len);
		}
		sqlite3_free(cs);
		sqlite3session_delete(session);
		sqlite3_close(db);
		ruhu_buf_dispose(&canon);
	}
	free(tables);
	ruhu_schema_free(schema);
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/ruhu-seeds-XXXXXX", cmd[64];

	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_seeds_sync CORPUS-FOLDER\n");
		return 2;
	}
	out_dir = argv[1];
	OK(ruhu_init());
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	township(tmp);
	changesets();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : 1;
}
