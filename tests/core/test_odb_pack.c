/*
 * test_odb_pack.c — ingesting packs into the object store (core/odb.h):
 * packs from libgit2's packbuilder and from stock git (plain and thin), and
 * damaged or lying packs refused with the table unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "core/odb.h"
#include "support/support.h"

static char dir[4096];
static sqlite3 *db, *db2;
static git_repository *repo, *repo2;

#define GITENV "HOME='%s' GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Wang GIT_AUTHOR_EMAIL=w@x " \
	"GIT_COMMITTER_NAME=Wang GIT_COMMITTER_EMAIL=w@x "

static void open_store(sqlite3 **d, git_repository **r, const char *name)
{
	char path[4200];

	rt_path(path, sizeof(path), dir, name);
	ck_assert_int_eq(sqlite3_open(path, d), SQLITE_OK);
	rt_ok(ruhu_odb_open(r, *d));
}

static void setup(void)
{
	rt_ok(ruhu_init());
	rt_tmpdir(dir, sizeof(dir));
	open_store(&db, &repo, "a.db");
	open_store(&db2, &repo2, "b.db");
}

static void teardown(void)
{
	git_repository_free(repo);
	git_repository_free(repo2);
	sqlite3_close(db);
	sqlite3_close(db2);
	rt_rmrf(dir);
}

static long long count(sqlite3 *d)
{
	sqlite3_stmt *st;
	long long n;

	ck_assert_int_eq(sqlite3_prepare_v2(d, "SELECT count(*) FROM _objects", -1, &st, NULL),
		SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* A history of `n` commits whose one big file changes a little each time,
 * so that the packbuilder makes deltas. */
static git_oid history(git_repository *r, int n)
{
	ruhu_buf text = RUHU_BUF_INIT;
	git_oid tip, blob_id, tree_id;
	git_signature *sig;
	int have = 0;

	ck_assert_int_eq(git_signature_new(&sig, "Zhao", "zhao@example.cn", 1700000000, 480), 0);
	for (int i = 0; i < 400; i++)
		rt_ok(ruhu_buf_printf(&text, "row %d: household register entry\n", i));
	for (int c = 0; c < n; c++) {
		git_treebuilder *bld;
		git_tree *tree;
		git_commit *parent = NULL;
		char msg[64];

		memcpy(text.ptr + 100 * (c % 40), "CHANGED!", 8);
		ck_assert_int_eq(git_blob_create_from_buffer(&blob_id, r, text.ptr, text.size), 0);
		ck_assert_int_eq(git_treebuilder_new(&bld, r, NULL), 0);
		ck_assert_int_eq(git_treebuilder_insert(NULL, bld, "register.txt", &blob_id,
			GIT_FILEMODE_BLOB), 0);
		ck_assert_int_eq(git_treebuilder_write(&tree_id, bld), 0);
		git_treebuilder_free(bld);
		ck_assert_int_eq(git_tree_lookup(&tree, r, &tree_id), 0);
		if (have)
			ck_assert_int_eq(git_commit_lookup(&parent, r, &tip), 0);
		snprintf(msg, sizeof(msg), "save %d\n", c);
		ck_assert_int_eq(git_commit_create(&tip, r, NULL, sig, sig, NULL, msg, tree,
			have ? 1 : 0, (const git_commit **)&parent), 0);
		git_commit_free(parent);
		git_tree_free(tree);
		have = 1;
	}
	git_signature_free(sig);
	ruhu_buf_dispose(&text);
	return tip;
}

static void pack_of(git_buf *out, git_repository *r, const git_oid *tip)
{
	git_packbuilder *pb;
	git_revwalk *walk;

	ck_assert_int_eq(git_packbuilder_new(&pb, r), 0);
	ck_assert_int_eq(git_revwalk_new(&walk, r), 0);
	ck_assert_int_eq(git_revwalk_push(walk, tip), 0);
	ck_assert_int_eq(git_packbuilder_insert_walk(pb, walk), 0);
	ck_assert_int_eq(git_packbuilder_write_buf(out, pb), 0);
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
}

typedef struct {
	git_odb *other;
	int n;
} same_ctx;

/* Every object of one store reads back identically from the other. */
static int same_cb(const git_oid *id, void *payload)
{
	same_ctx *c = payload;
	git_odb_object *o;

	ck_assert_msg(git_odb_read(&o, c->other, id) == 0, "%s missing", git_oid_tostr_s(id));
	git_odb_object_free(o);
	c->n++;
	return 0;
}

static void assert_same_objects(git_repository *from, git_repository *to)
{
	git_odb *a, *b;
	same_ctx c = { NULL, 0 };

	ck_assert_int_eq(git_repository_odb(&a, from), 0);
	ck_assert_int_eq(git_repository_odb(&b, to), 0);
	c.other = b;
	ck_assert_int_eq(git_odb_foreach(a, same_cb, &c), 0);
	ck_assert_int_gt(c.n, 0);
	git_odb_free(a);
	git_odb_free(b);
}

START_TEST(test_odb_pack_packbuilder_round_trip)
{
	git_oid tip = history(repo, 30);
	git_buf pack = GIT_BUF_INIT;
	size_t n;

	pack_of(&pack, repo, &tip);
	/* deltas made the pack much smaller than 30 copies of a 13 KB file */
	ck_assert_msg(pack.size < 40000, "pack of %zu bytes has no deltas", pack.size);
	rt_ok(ruhu_odb_write_pack(&n, repo2, pack.ptr, pack.size, NULL));
	ck_assert_uint_eq(n, 90);
	ck_assert_int_eq(count(db2), 90);
	assert_same_objects(repo, repo2);
	/* again: every object is skipped as already stored */
	rt_ok(ruhu_odb_write_pack(&n, repo2, pack.ptr, pack.size, NULL));
	ck_assert_int_eq(count(db2), 90);
	git_buf_dispose(&pack);
}
END_TEST

START_TEST(test_odb_pack_through_git_odb_writepack)
{
	git_oid tip = history(repo, 5);
	git_buf pack = GIT_BUF_INIT;
	git_odb *odb;
	git_odb_writepack *wp;
	git_indexer_progress stats;

	pack_of(&pack, repo, &tip);
	ck_assert_int_eq(git_repository_odb(&odb, repo2), 0);
	ck_assert_int_eq(git_odb_write_pack(&wp, odb, NULL, NULL), 0);
	memset(&stats, 0, sizeof(stats));
	for (size_t at = 0; at < pack.size; at += 1000)
		ck_assert_int_eq(wp->append(wp, pack.ptr + at,
			pack.size - at < 1000 ? pack.size - at : 1000, &stats), 0);
	ck_assert_int_eq(wp->commit(wp, &stats), 0);
	ck_assert_uint_eq(stats.total_objects, 15);
	wp->free(wp);
	assert_same_objects(repo, repo2);

	/* a damaged pack fails the commit and leaves nothing */
	pack.ptr[pack.size / 2] ^= 0x10;
	ck_assert_int_eq(git_odb_write_pack(&wp, odb, NULL, NULL), 0);
	ck_assert_int_eq(wp->append(wp, pack.ptr, pack.size, &stats), 0);
	ck_assert_int_lt(wp->commit(wp, &stats), 0);
	wp->free(wp);
	ck_assert_int_eq(count(db2), 15);
	git_odb_free(odb);
	git_buf_dispose(&pack);
}
END_TEST

/* Make a repository with stock git; see the script for what it holds. */
static void stock_repo(void)
{
	ck_assert_int_eq(rt_sh(NULL,
		"cd '%s' && export " GITENV " && set -e && git init -q -b main src && cd src && "
		"seq 1 3000 > register.txt && git add . && git commit -qm c1 && "
		"sed -i 's/^100$/one hundred/' register.txt && git commit -qam c2 && "
		"git branch base && "
		"sed -i 's/^500$/five hundred/' register.txt && echo x > note.txt && "
		"git add . && git commit -qm c3 && "
		"sed -i 's/^900$/nine hundred/' register.txt && git commit -qam c4 && "
		"echo main | git pack-objects -q --stdout --revs > ../ref.pack && "
		"echo main | git pack-objects -q --stdout --revs --delta-base-offset > ../ofs.pack && "
		"git bundle create -q ../base.bundle base && "
		"git bundle create -q ../thin.bundle main ^base && "
		"git rev-list --objects --all | cut -c1-40 > ../all.txt && "
		"git index-pack -o ../ofs.idx ../ofs.pack >/dev/null && "
		"git verify-pack -v ../ofs.idx > ../verify.txt",
		dir, dir), 0);
}

static unsigned char *read_in(const char *name, size_t *len)
{
	char path[4200];

	rt_path(path, sizeof(path), dir, name);
	return rt_read_file(path, len);
}

/* The pack inside a v2 bundle starts after the first empty line. */
static const unsigned char *bundle_pack(const unsigned char *b, size_t len, size_t *plen)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (b[i] == '\n' && b[i + 1] == '\n') {
			ck_assert_mem_eq(b + i + 2, "PACK", 4);
			*plen = len - i - 2;
			return b + i + 2;
		}
	ck_abort_msg("no pack in bundle");
	return NULL;
}

/* Every object stock git lists is readable (and hash-checked) in `r`. */
static size_t assert_has_all(git_repository *r)
{
	size_t len, n = 0;
	unsigned char *list = read_in("all.txt", &len);
	git_odb *odb;

	ck_assert_int_eq(git_repository_odb(&odb, r), 0);
	for (char *line = (char *)list; *line; line += 41) {
		git_oid id;
		git_odb_object *o;

		ck_assert_int_eq(git_oid_fromstrn(&id, line, 40), 0);
		ck_assert_msg(git_odb_read(&o, odb, &id) == 0, "%.40s unreadable", line);
		git_odb_object_free(o);
		n++;
	}
	git_odb_free(odb);
	free(list);
	return n;
}

START_TEST(test_odb_pack_from_stock_git)
{
	size_t len, n, vlen;
	unsigned char *pack, *verify;

	stock_repo();
	/* stock git made deltas, so delta resolution is exercised */
	verify = read_in("verify.txt", &vlen);
	ck_assert_ptr_nonnull(strstr((char *)verify, "chain length = 1"));
	free(verify);

	pack = read_in("ref.pack", &len);
	rt_ok(ruhu_odb_write_pack(&n, repo, pack, len, NULL));
	free(pack);
	ck_assert_uint_eq(assert_has_all(repo), n);

	pack = read_in("ofs.pack", &len);
	rt_ok(ruhu_odb_write_pack(&n, repo2, pack, len, NULL));
	free(pack);
	ck_assert_uint_eq(assert_has_all(repo2), n);
	ck_assert_int_eq(count(db2), (long long)n);
}
END_TEST

START_TEST(test_odb_pack_thin_bundle_from_stock_git)
{
	size_t blen, tlen, plen, n, before;
	unsigned char *base, *thin;
	const unsigned char *p;

	stock_repo();
	base = read_in("base.bundle", &blen);
	thin = read_in("thin.bundle", &tlen);

	/* alone, the thin pack lacks its delta bases: refused, nothing written */
	p = bundle_pack(thin, tlen, &plen);
	ck_assert_int_eq(ruhu_odb_write_pack(&n, repo2, p, plen, NULL), RUHU_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "delta base"));
	ck_assert_int_eq(count(db2), 0);

	/* after the prerequisite's objects, it resolves against the table */
	p = bundle_pack(base, blen, &plen);
	rt_ok(ruhu_odb_write_pack(&n, repo2, p, plen, NULL));
	before = (size_t)count(db2);
	p = bundle_pack(thin, tlen, &plen);
	rt_ok(ruhu_odb_write_pack(&n, repo2, p, plen, NULL));
	ck_assert_uint_eq((size_t)count(db2), before + n);
	ck_assert_uint_eq(assert_has_all(repo2), (size_t)count(db2));
	free(base);
	free(thin);
}
END_TEST

/* --- hand-made packs ------------------------------------------------------- */

static void put_be32(ruhu_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	rt_ok(ruhu_buf_put(b, x, 4));
}

static void pk_start(ruhu_buf *b, uint32_t n)
{
	rt_ok(ruhu_buf_put(b, "PACK", 4));
	put_be32(b, 2);
	put_be32(b, n);
}

static void pk_entry(ruhu_buf *b, int type, uint64_t size, const void *pre, size_t prelen,
	const void *data, size_t len)
{
	unsigned char c = (unsigned char)((type << 4) | (size & 15)), z[4096];
	uLongf zlen = sizeof(z);

	size >>= 4;
	while (size) {
		rt_ok(ruhu_buf_putc(b, (char)(c | 0x80)));
		c = size & 0x7f;
		size >>= 7;
	}
	rt_ok(ruhu_buf_putc(b, (char)c));
	if (prelen)
		rt_ok(ruhu_buf_put(b, pre, prelen));
	ck_assert_int_eq(compress2(z, &zlen, data, len, 6), Z_OK);
	rt_ok(ruhu_buf_put(b, z, zlen));
}

static void pk_finish(ruhu_buf *b)
{
	unsigned char sum[20];

	ruhu_pack_sha1(sum, b->ptr, b->size);
	rt_ok(ruhu_buf_put(b, sum, 20));
}

/* Refix the trailer of a pack whose bytes were changed on purpose. */
static void pk_resum(unsigned char *p, size_t len)
{
	ruhu_pack_sha1(p + len - 20, p, len - 20);
}

static git_oid blob_id(const char *text)
{
	git_oid id;

	ck_assert_int_eq(git_odb_hash(&id, text, strlen(text), GIT_OBJECT_BLOB), 0);
	return id;
}

/* delta: base size, result size, then one insert of `text` */
static size_t delta_insert(unsigned char *d, size_t base_size, size_t result_size,
	const char *text)
{
	size_t n = 0, t = strlen(text);

	d[n++] = (unsigned char)base_size; /* sizes < 128 in these tests */
	d[n++] = (unsigned char)result_size;
	d[n++] = (unsigned char)t;
	memcpy(d + n, text, t);
	return n + t;
}

START_TEST(test_odb_pack_sha1_known_vectors)
{
	unsigned char h[20];
	char hex[41];
	git_oid id;

	ruhu_pack_sha1(h, "abc", 3);
	git_oid_fromraw(&id, h);
	git_oid_tostr(hex, sizeof(hex), &id);
	ck_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	ruhu_pack_sha1(h, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
	git_oid_fromraw(&id, h);
	git_oid_tostr(hex, sizeof(hex), &id);
	ck_assert_str_eq(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	ruhu_pack_sha1(h, "", 0);
	git_oid_fromraw(&id, h);
	git_oid_tostr(hex, sizeof(hex), &id);
	ck_assert_str_eq(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}
END_TEST

START_TEST(test_odb_pack_deltas_in_any_order)
{
	ruhu_buf b = RUHU_BUF_INIT;
	unsigned char d[64], ofs;
	git_oid base = blob_id("base text"), out;
	git_odb *odb;
	git_odb_object *o;
	size_t dl, n;

	/* a REF delta before its base, then an OFS delta on that delta */
	pk_start(&b, 3);
	dl = delta_insert(d, 9, 5, "hello");
	pk_entry(&b, 7, dl, base.id, 20, d, dl);
	pk_entry(&b, 3, 9, NULL, 0, "base text", 9);
	dl = delta_insert(d, 5, 3, "bye");
	ofs = (unsigned char)(b.size - 12);
	pk_entry(&b, 6, dl, &ofs, 1, d, dl);
	pk_finish(&b);
	rt_ok(ruhu_odb_write_pack(&n, repo, b.ptr, b.size, NULL));
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
	out = blob_id("hello");
	ck_assert_int_eq(git_odb_read(&o, odb, &out), 0);
	git_odb_object_free(o);
	out = blob_id("bye");
	ck_assert_int_eq(git_odb_read(&o, odb, &out), 0);
	git_odb_object_free(o);
	git_odb_free(odb);
	ruhu_buf_dispose(&b);
}
END_TEST

START_TEST(test_odb_pack_empty_pack_accepted)
{
	ruhu_buf b = RUHU_BUF_INIT;
	size_t n = 99;

	/* a bundle with nothing new carries a pack of no objects */
	pk_start(&b, 0);
	pk_finish(&b);
	rt_ok(ruhu_odb_write_pack(&n, repo, b.ptr, b.size, NULL));
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(count(db), 0);
	/* version 3 reads like version 2; version 4 does not exist */
	b.ptr[7] = 3;
	pk_resum((unsigned char *)b.ptr, b.size);
	rt_ok(ruhu_odb_write_pack(&n, repo, b.ptr, b.size, NULL));
	b.ptr[7] = 4;
	pk_resum((unsigned char *)b.ptr, b.size);
	ck_assert_int_eq(ruhu_odb_write_pack(&n, repo, b.ptr, b.size, NULL), RUHU_ECORRUPT);
	ck_assert_int_eq(ruhu_odb_write_pack(&n, repo, "PACK", 4, NULL), RUHU_ECORRUPT);
	ruhu_buf_dispose(&b);
}
END_TEST

/* Write `pack`; expect `code` and a table exactly as before. */
static void refused(const void *pack, size_t len, int code, const ruhu_pack_opts *opts)
{
	long long before = count(db);
	git_oid keep = blob_id("keep me");
	git_odb *odb;
	int rc = ruhu_odb_write_pack(NULL, repo, pack, len, opts);

	if (code)
		ck_assert_msg(rc == code, "expected %d, got %d: %s", code, rc, ruhu_error_last());
	else
		ck_assert_msg(rc < 0, "damaged pack accepted");
	ck_assert_ptr_null(strchr(ruhu_error_last(), '\n'));
	ck_assert_int_eq(count(db), before);
	ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
	ck_assert(git_odb_exists(odb, &keep));
	git_odb_free(odb);
}

START_TEST(test_odb_pack_damage_refused)
{
	git_oid tip = history(repo2, 6), kept;
	git_buf pack = GIT_BUF_INIT;
	unsigned char *p;

	ck_assert_int_eq(git_blob_create_from_buffer(&kept, repo, "keep me", 7), 0);
	pack_of(&pack, repo2, &tip);
	p = (unsigned char *)pack.ptr;

	/* a flipped byte: the checksum no longer matches */
	p[pack.size / 2] ^= 0x04;
	refused(p, pack.size, RUHU_ECORRUPT, NULL);
	ck_assert_str_eq(ruhu_error_last(), "pack checksum does not match its bytes");
	/* the same with a fixed checksum: inflating or hashing finds it */
	pk_resum(p, pack.size);
	refused(p, pack.size, 0, NULL);
	p[pack.size / 2] ^= 0x04;
	pk_resum(p, pack.size);

	/* truncated: as sent, and with a checksum made to fit */
	refused(p, pack.size / 2, RUHU_ECORRUPT, NULL);
	refused(p, 31, RUHU_ECORRUPT, NULL);
	pk_resum(p, pack.size / 2);
	refused(p, pack.size / 2, RUHU_ECORRUPT, NULL);
	git_buf_dispose(&pack);
}
END_TEST

START_TEST(test_odb_pack_bad_delta_base_refused)
{
	ruhu_buf b = RUHU_BUF_INIT;
	unsigned char d[64], ofs;
	git_oid missing, kept;
	size_t dl;

	ck_assert_int_eq(git_blob_create_from_buffer(&kept, repo, "keep me", 7), 0);
	memset(&missing, 0x5a, sizeof(missing));
	/* a good blob, then a REF delta on an object nobody has */
	pk_start(&b, 2);
	pk_entry(&b, 3, 12, NULL, 0, "written then", 12);
	dl = delta_insert(d, 9, 5, "hello");
	pk_entry(&b, 7, dl, missing.id, 20, d, dl);
	pk_finish(&b);
	refused(b.ptr, b.size, RUHU_ENOTFOUND, NULL);
	{
		git_odb *odb;
		git_oid first = blob_id("written then");

		ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
		ck_assert(!git_odb_exists(odb, &first)); /* rolled back with the rest */
		git_odb_free(odb);
	}

	/* an OFS delta pointing into the middle of an entry */
	ruhu_buf_clear(&b);
	pk_start(&b, 2);
	pk_entry(&b, 3, 9, NULL, 0, "base text", 9);
	dl = delta_insert(d, 9, 5, "hello");
	ofs = (unsigned char)(b.size - 12 - 1);
	pk_entry(&b, 6, dl, &ofs, 1, d, dl);
	pk_finish(&b);
	refused(b.ptr, b.size, RUHU_ECORRUPT, NULL);

	/* a delta whose declared base size is not the base's */
	ruhu_buf_clear(&b);
	pk_start(&b, 2);
	pk_entry(&b, 3, 9, NULL, 0, "base text", 9);
	dl = delta_insert(d, 8, 5, "hello");
	ofs = (unsigned char)(b.size - 12);
	pk_entry(&b, 6, dl, &ofs, 1, d, dl);
	pk_finish(&b);
	refused(b.ptr, b.size, RUHU_ECORRUPT, NULL);

	/* a delta that copies past the end of its base */
	ruhu_buf_clear(&b);
	pk_start(&b, 2);
	pk_entry(&b, 3, 9, NULL, 0, "base text", 9);
	{
		unsigned char cp[] = { 9, 20, 0x91, 2, 20 }; /* copy 20 bytes from offset 2 */

		ofs = (unsigned char)(b.size - 12);
		pk_entry(&b, 6, sizeof(cp), &ofs, 1, cp, sizeof(cp));
	}
	pk_finish(&b);
	refused(b.ptr, b.size, RUHU_ECORRUPT, NULL);
	ruhu_buf_dispose(&b);
}
END_TEST

START_TEST(test_odb_pack_lying_sizes_refused)
{
	ruhu_buf b = RUHU_BUF_INIT;
	unsigned char d[64], ofs;
	git_oid kept;
	ruhu_pack_opts opts = RUHU_PACK_OPTS_INIT;
	size_t dl;

	ck_assert_int_eq(git_blob_create_from_buffer(&kept, repo, "keep me", 7), 0);
	/* declares 100 bytes, inflates to 10 */
	pk_start(&b, 1);
	pk_entry(&b, 3, 100, NULL, 0, "ten bytes!", 10);
	pk_finish(&b);
	refused(b.ptr, b.size, RUHU_ECORRUPT, NULL);
	/* declares 5 bytes, inflates to 10 */
	ruhu_buf_clear(&b);
	pk_start(&b, 1);
	pk_entry(&b, 3, 5, NULL, 0, "ten bytes!", 10);
	pk_finish(&b);
	refused(b.ptr, b.size, RUHU_ECORRUPT, NULL);
	/* declares a terabyte: refused by the cap before any allocation */
	ruhu_buf_clear(&b);
	pk_start(&b, 1);
	pk_entry(&b, 3, (uint64_t)1 << 40, NULL, 0, "ten bytes!", 10);
	pk_finish(&b);
	refused(b.ptr, b.size, RUHU_EINVALID, NULL);
	/* a header that claims a billion objects, or one more than present */
	ruhu_buf_clear(&b);
	pk_start(&b, 1000000000);
	pk_entry(&b, 3, 10, NULL, 0, "ten bytes!", 10);
	pk_finish(&b);
	refused(b.ptr, b.size, RUHU_EINVALID, NULL);
	b.ptr[8] = 0;
	b.ptr[9] = 0;
	b.ptr[10] = 0;
	b.ptr[11] = 2;
	pk_resum((unsigned char *)b.ptr, b.size);
	refused(b.ptr, b.size, RUHU_ECORRUPT, NULL);
	/* a delta whose result size is more than its instructions make */
	ruhu_buf_clear(&b);
	pk_start(&b, 2);
	pk_entry(&b, 3, 9, NULL, 0, "base text", 9);
	dl = delta_insert(d, 9, 100, "hello");
	ofs = (unsigned char)(b.size - 12);
	pk_entry(&b, 6, dl, &ofs, 1, d, dl);
	pk_finish(&b);
	refused(b.ptr, b.size, RUHU_ECORRUPT, NULL);
	/* caps set by the caller */
	ruhu_buf_clear(&b);
	pk_start(&b, 2);
	pk_entry(&b, 3, 10, NULL, 0, "ten bytes!", 10);
	pk_entry(&b, 3, 10, NULL, 0, "ten more!!", 10);
	pk_finish(&b);
	opts.max_object_size = 9;
	refused(b.ptr, b.size, RUHU_EINVALID, &opts);
	opts.max_object_size = 0;
	opts.max_objects = 1;
	refused(b.ptr, b.size, RUHU_EINVALID, &opts);
	opts.max_objects = 0;
	opts.max_inflated = 15;
	refused(b.ptr, b.size, RUHU_EINVALID, &opts);
	/* a commit that does not parse, a type that does not exist */
	ruhu_buf_clear(&b);
	pk_start(&b, 1);
	pk_entry(&b, 1, 7, NULL, 0, "garbage", 7);
	pk_finish(&b);
	refused(b.ptr, b.size, RUHU_ECORRUPT, NULL);
	ruhu_buf_clear(&b);
	pk_start(&b, 1);
	pk_entry(&b, 5, 7, NULL, 0, "garbage", 7);
	pk_finish(&b);
	refused(b.ptr, b.size, RUHU_ECORRUPT, NULL);
	ruhu_buf_dispose(&b);
}
END_TEST

START_TEST(test_odb_pack_inside_caller_transaction)
{
	git_oid tip = history(repo2, 3), mine;
	git_buf pack = GIT_BUF_INIT;
	long long n;

	pack_of(&pack, repo2, &tip);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(git_blob_create_from_buffer(&mine, repo, "caller's own", 12), 0);
	/* a failed pack rolls back only itself */
	pack.ptr[20] ^= 1;
	ck_assert_int_lt(ruhu_odb_write_pack(NULL, repo, pack.ptr, pack.size, NULL), 0);
	ck_assert_int_eq(count(db), 1);
	ck_assert_int_eq(sqlite3_get_autocommit(db), 0);
	pack.ptr[20] ^= 1;
	rt_ok(ruhu_odb_write_pack(NULL, repo, pack.ptr, pack.size, NULL));
	n = count(db);
	ck_assert_int_eq(n, 1 + 9);
	/* and the caller still decides */
	ck_assert_int_eq(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(count(db), 0);
	git_buf_dispose(&pack);
}
END_TEST

Suite *odb_pack_suite(void)
{
	Suite *s = suite_create("odb_pack");
	TCase *tc = tcase_create("odb_pack");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_odb_pack_sha1_known_vectors);
	tcase_add_test(tc, test_odb_pack_packbuilder_round_trip);
	tcase_add_test(tc, test_odb_pack_through_git_odb_writepack);
	tcase_add_test(tc, test_odb_pack_from_stock_git);
	tcase_add_test(tc, test_odb_pack_thin_bundle_from_stock_git);
	tcase_add_test(tc, test_odb_pack_deltas_in_any_order);
	tcase_add_test(tc, test_odb_pack_empty_pack_accepted);
	tcase_add_test(tc, test_odb_pack_damage_refused);
	tcase_add_test(tc, test_odb_pack_bad_delta_base_refused);
	tcase_add_test(tc, test_odb_pack_lying_sizes_refused);
	tcase_add_test(tc, test_odb_pack_inside_caller_transaction);
	suite_add_tcase(s, tc);
	return s;
}
