/*
 * bench_odb.c — the object store and signed commits at the size of a busy
 * township: 10,000 blobs + 2,000 trees + 1,000 signed commits written in one
 * transaction, the whole history packed, the pack ingested into a fresh
 * store, 1,000 commits signed and verified, a full history walk.
 *
 * Each workload also runs on a baseline in the same process, and the ratio
 * ruhu / baseline is printed:
 *   - writes, pack, walk: libgit2's own on-disk repository (loose objects,
 *     zlib) in a temporary folder, doing the same calls;
 *   - ingest: libgit2's indexer writing .pack/.idx into that repository;
 *   - sign/verify: bare Ed25519 over the same commit buffers (what the SSH
 *     signature format, SHA-512 and libgit2's parsing add on top).
 *
 * Usage: bench_odb [FOLDER]   (default: a new folder under /tmp, removed)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/commit.h"
#include "core/crypto.h"
#include "core/odb.h"
#include "core/sshsig.h"

#define COMMITS 1000
#define PHOTOS 8

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	const git_error *e = git_error_last();

	fprintf(stderr, "bench_odb: %s: %s %s\n", what, ruhu_error_last(),
		e && e->message ? e->message : "");
	exit(1);
}

static void report(const char *what, double ruhu, double base)
{
	printf("%-44s %10.1f ms %10.1f ms %7.2fx\n", what, ruhu, base, base > 0 ? ruhu / base : 0);
}

/* 10 blobs, 2 trees, 1 signed commit per save; returns the tip. */
static git_oid write_history(git_repository *repo, const ruhu_signkey *key)
{
	git_oid tip, parent;
	char text[512];
	unsigned char photo[2048];
	uint32_t x = 12345;

	for (int c = 0; c < COMMITS; c++) {
		ruhu_tree_entry e[2 + PHOTOS];
		char names[PHOTOS][40];
		ruhu_commit_opts o = RUHU_COMMIT_OPTS_INIT;
		ruhu_trailer t[3] = { { "Device", "tab-07" }, { "Worker", "3302" }, { "Seq", text } };
		int n;

		n = snprintf(text, sizeof(text), "UPDATE person 0190%08d SET phone = '1390000%04d', "
			"address = 'Xinhua Road %d, Building %d' -- visit %d\n", c, c, c % 97, c % 13, c);
		if (ruhu_blob_write(&e[0].oid, repo, text, (size_t)n) < 0)
			die("blob");
		e[0].path = "changeset";
		e[0].mode = 0;
		n = snprintf(text, sizeof(text), "person 0190%08d: phone changed, address changed\n", c);
		if (ruhu_blob_write(&e[1].oid, repo, text, (size_t)n) < 0)
			die("blob");
		e[1].path = "changes.txt";
		e[1].mode = 0;
		for (int p = 0; p < PHOTOS; p++) {
			for (size_t i = 0; i < sizeof(photo); i++) {
				x = x * 1103515245u + 12345u;
				photo[i] = (unsigned char)(x >> 16);
			}
			if (ruhu_blob_write(&e[2 + p].oid, repo, photo, sizeof(photo)) < 0)
				die("blob");
			snprintf(names[p], sizeof(names[p]), "attachments/photo-%d.jpg", p);
			e[2 + p].path = names[p];
			e[2 + p].mode = 0;
		}
		snprintf(text, sizeof(text), "%d", c);
		o.entries = e;
		o.nentries = 2 + PHOTOS;
		o.parents = c ? &parent : NULL;
		o.nparents = c ? 1 : 0;
		o.author = (ruhu_person){ "Li Na", "li.na@township.example", 1700000000 + c, 480 };
		o.committer = (ruhu_person){ "tab-07", "tab-07@township.example", 1700000000 + c, 480 };
		o.subject = "Update person";
		o.trailers = t;
		o.ntrailers = 3;
		if (ruhu_commit_create(&tip, repo, &o, key) < 0)
			die("commit");
		parent = tip;
	}
	return tip;
}

static void pack_all(git_buf *out, git_repository *repo, const git_oid *tip)
{
	git_packbuilder *pb;
	git_revwalk *walk;

	if (git_packbuilder_new(&pb, repo) < 0 || git_revwalk_new(&walk, repo) < 0 ||
	    git_revwalk_push(walk, tip) < 0 || git_packbuilder_insert_walk(pb, walk) < 0 ||
	    git_packbuilder_write_buf(out, pb) < 0)
		die("pack");
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
}

static int count_cb(const git_oid *id, void *payload)
{
	(void)id;
	++*(size_t *)payload;
	return 0;
}

static sqlite3 *open_db(const char *dir, const char *name)
{
	char path[4200];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("sqlite open");
	sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	return db;
}

int main(int argc, char **argv)
{
	char dir[4096], path[4400];
	int made = argc < 2;
	sqlite3 *db, *db2;
	git_repository *repo, *repo2, *disk;
	ruhu_signkey *key;
	unsigned char seed[RUHU_SEEDBYTES];
	git_oid tip, dtip, ids[COMMITS];
	git_buf pack = GIT_BUF_INIT, dpack = GIT_BUF_INIT;
	size_t n = 0, walked = 0;
	double t0, a, b;

	if (ruhu_init() < 0)
		die("init");
	if (made) {
		snprintf(dir, sizeof(dir), "/tmp/ruhu-bench-XXXXXX");
		if (mkdtemp(dir) == NULL)
			die("mkdtemp");
	} else {
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	}
	memset(seed, 3, sizeof(seed));
	if (ruhu_signkey_from_seed(&key, seed) < 0)
		die("key");
	db = open_db(dir, "a.db");
	db2 = open_db(dir, "b.db");
	if (ruhu_odb_open(&repo, db) < 0 || ruhu_odb_open(&repo2, db2) < 0)
		die("open");
	snprintf(path, sizeof(path), "%s/disk.git", dir);
	if (git_repository_init(&disk, path, 1) < 0)
		die("disk repo");

	printf("%-44s %13s %13s %8s\n", "workload", "ruhu", "baseline", "ratio");
	t0 = now();
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	tip = write_history(repo, key);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die("commit transaction");
	a = now() - t0;
	t0 = now();
	dtip = write_history(disk, key);
	b = now() - t0;
	if (!git_oid_equal(&tip, &dtip))
		die("histories differ");
	report("write 10k blobs+2k trees+1k signed commits", a, b);

	t0 = now();
	pack_all(&pack, repo, &tip);
	a = now() - t0;
	t0 = now();
	pack_all(&dpack, disk, &tip);
	b = now() - t0;
	report("pack the whole history (packbuilder)", a, b);
	printf("  pack: %zu bytes\n", pack.size);

	t0 = now();
	sqlite3_exec(db2, "BEGIN", NULL, NULL, NULL);
	if (ruhu_odb_write_pack(&n, repo2, pack.ptr, pack.size, NULL) < 0)
		die("ingest");
	if (sqlite3_exec(db2, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die("commit ingest");
	a = now() - t0;
	{
		git_indexer *idx;
		git_indexer_progress st;
		char ipath[4300];

		snprintf(ipath, sizeof(ipath), "%s/indexed", dir);
		snprintf(path, sizeof(path), "mkdir -p '%s'", ipath);
		if (system(path) != 0)
			die("mkdir");
		t0 = now();
		if (git_indexer_new(&idx, ipath, 0, NULL, NULL) < 0 ||
		    git_indexer_append(idx, pack.ptr, pack.size, &st) < 0 ||
		    git_indexer_commit(idx, &st) < 0)
			die("indexer");
		b = now() - t0;
		git_indexer_free(idx);
	}
	report("ingest the pack into a fresh store", a, b);
	printf("  objects: %zu\n", n);
	t0 = now();
	if (ruhu_pack_parse(&n, pack.ptr, pack.size, NULL, NULL, NULL, NULL) < 0)
		die("parse");
	a = now() - t0;
	report("  of which parse, inflate, resolve, hash", a, b);

	{
		git_revwalk *walk;
		size_t k = 0;
		ruhu_buf sig = RUHU_BUF_INIT;
		static unsigned char raw[COMMITS][RUHU_SIGN_BYTES];

		if (git_revwalk_new(&walk, repo2) < 0 || git_revwalk_push(walk, &tip) < 0)
			die("walk");
		t0 = now();
		while (k < COMMITS && git_revwalk_next(&ids[k], walk) == 0)
			k++;
		a = now() - t0;
		git_revwalk_free(walk);
		walked = k;
		if (git_revwalk_new(&walk, disk) < 0 || git_revwalk_push(walk, &tip) < 0)
			die("walk");
		t0 = now();
		for (git_oid id; git_revwalk_next(&id, walk) == 0;)
			;
		b = now() - t0;
		git_revwalk_free(walk);
		report("walk 1,000 commits (fresh store)", a, b);

		/* sign: the SSH format over each commit's raw bytes vs bare Ed25519 */
		{
			git_odb *odb;
			git_odb_object *objs[COMMITS];

			if (git_repository_odb(&odb, repo2) < 0)
				die("odb");
			for (size_t i = 0; i < walked; i++)
				if (git_odb_read(&objs[i], odb, &ids[i]) < 0)
					die("read");
			t0 = now();
			for (size_t i = 0; i < walked; i++) {
				ruhu_buf_clear(&sig);
				if (ruhu_sshsig_sign(&sig, key, RUHU_SSHSIG_GIT,
					git_odb_object_data(objs[i]), git_odb_object_size(objs[i])) < 0)
					die("sign");
			}
			a = now() - t0;
			t0 = now();
			for (size_t i = 0; i < walked; i++)
				ruhu_signkey_sign(raw[i], key, git_odb_object_data(objs[i]),
					git_odb_object_size(objs[i]));
			b = now() - t0;
			report("sign 1,000 commits (sshsig vs Ed25519)", a, b);
			t0 = now();
			for (size_t i = 0; i < walked; i++) {
				ruhu_commit_sig s;

				if (ruhu_commit_verify(&s, repo2, &ids[i], NULL, 0) < 0 ||
				    s.status != RUHU_SIG_GOOD)
					die("verify");
			}
			a = now() - t0;
			t0 = now();
			for (size_t i = 0; i < walked; i++)
				if (ruhu_sign_verify(raw[i], git_odb_object_data(objs[i]),
					git_odb_object_size(objs[i]), ruhu_signkey_public(key)) < 0)
					die("raw verify");
			b = now() - t0;
			report("verify 1,000 commits (vs Ed25519 verify)", a, b);
			for (size_t i = 0; i < walked; i++)
				git_odb_object_free(objs[i]);
			git_odb_free(odb);
		}
		ruhu_buf_dispose(&sig);
	}
	{
		git_odb *odb;

		n = 0;
		if (git_repository_odb(&odb, repo2) < 0 || git_odb_foreach(odb, count_cb, &n) < 0)
			die("foreach");
		git_odb_free(odb);
		printf("  objects in the fresh store: %zu\n", n);
	}

	git_buf_dispose(&pack);
	git_buf_dispose(&dpack);
	git_repository_free(repo);
	git_repository_free(repo2);
	git_repository_free(disk);
	sqlite3_close(db);
	sqlite3_close(db2);
	ruhu_signkey_free(key);
	if (made) {
		snprintf(path, sizeof(path), "rm -rf '%s'", dir);
		if (system(path) != 0)
			fprintf(stderr, "bench_odb: cannot remove %s\n", dir);
	}
	return 0;
}
