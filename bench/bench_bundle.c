/*
 * bench_bundle.c — what a device bundle costs: 1,000 device saves whose
 * trees hold canonical changesets of the township's `person` table (taken
 * with an SQLite session, as the save engine takes them) and their
 * changes.txt, signed as device commits; the whole history as one bundle in
 * an envelope.
 *
 * Size baseline: the sum of the changesets, each compressed alone with zlib
 * (the smallest a per-save format could send).  The ratio envelope / baseline
 * is printed (target <= 1.2x), with a breakdown of where the rest goes: each
 * kind of object compressed alone, as the pack stores it (the packbuilder's
 * deltas make the pack a little smaller than that sum).
 *
 * Times (median of ROUNDS): bundle create against libgit2's packbuilder
 * alone over the same walk; envelope seal and open; bundle parse; ingest into
 * a fresh store against ruhu_odb_write_pack of the same pack alone; and, when
 * `git` is on the PATH, stock `git bundle create` over an export of the same
 * history (it includes starting the process).
 *
 * Usage: bench_bundle [COMMITS [ROUNDS]]   (default 1000 and 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "core/changeset.h"
#include "core/commit.h"
#include "core/crypto.h"
#include "core/digest.h"
#include "core/export.h"
#include "core/hlc.h"
#include "core/odb.h"
#include "core/uuid.h"
#include "sync/bundle.h"
#include "sync/envelope.h"

#define MAX_ROUNDS 31
#define MAX_PEOPLE 20000

static const char *const tables[] = { "person" };

static const char person_sql[] =
	"CREATE TABLE person (id TEXT PRIMARY KEY NOT NULL, household_id TEXT, name TEXT NOT NULL, "
	"id_number TEXT, gender TEXT, birth_date TEXT, phone TEXT, address TEXT, "
	"employment_status TEXT, difficulty_category TEXT, notes TEXT) STRICT";

static const char *const surnames[] = { "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
					"徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗" };
static const char *const given[] = { "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军",
				     "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞" };
static const char *const villages[] = { "新市", "洛舍", "钟管", "禹越", "雷甸", "乾元", "武康" };
static const char *const statuses[] = { "employed", "unemployed", "flexible", "retired",
					"student", "other" };
static const char *const difficulty[] = { NULL, "aged", "disabled", "land_lost",
					  "long_term_unemployed", "low_income",
					  "zero_employment_family", "aged disabled" };
static const char *const notes[] = {
	"家中有老人需要照顾，希望就近就业。",
	"已登记求职意向：保洁、仓储，每周可工作五天。",
	"申请灵活就业社会保险补贴，材料已收齐。",
	"参加了村里组织的电商培训，需要跟进结业证书。",
	"残疾证已更新，转介镇残联。"
};

static uint32_t rng = 20261126;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 8) % n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	const git_error *e = git_error_last();

	fprintf(stderr, "bench_bundle: %s: %s %s\n", what, ruhu_error_last(),
		e && e->message ? e->message : "");
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static size_t zsize(const void *data, size_t len)
{
	uLongf out = compressBound((uLong)len);
	unsigned char *buf = malloc(out);

	if (buf == NULL || compress2(buf, &out, data, (uLong)len, Z_DEFAULT_COMPRESSION) != Z_OK)
		die("zlib");
	free(buf);
	return (size_t)out;
}

typedef struct {
	size_t cs_raw, cs_z, txt_raw, txt_z, tree_z, commit_z, unsigned_z, sig_raw;
	ruhu_buf all;       /* every object raw, in save order */
	ruhu_buf all_cs;    /* every changeset raw */
	ruhu_buf no_txt;    /* every object but changes.txt, raw */
	git_oid *ids;       /* the saves, oldest first */
	size_t *cs_zs;      /* each changeset zlib'd */
} sizes;

static void exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_bundle: %s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
}

/* An 18-character resident identity number with its check character. */
static void id_number(char out[19], int year, int month, int day)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char check[] = "10X98765432";
	int sum = 0;

	snprintf(out, 19, "330521%04d%02d%02d%03u", year, month, day, (unsigned)rnd(1000));
	for (int i = 0; i < 17; i++)
		sum += (out[i] - '0') * w[i];
	out[17] = check[sum % 11];
	out[18] = '\0';
}

/* One save's edit on the session database: a household registered, or one
 * person's fields updated.  Returns the subject of the save. */
static const char *edit(sqlite3 *sdb, char (*ids)[RUHU_UUID_TEXT_LEN + 1], int *npeople)
{
	static char subject[64];
	char sql[2048], *q;
	uint32_t kind = rnd(100);

	if (kind < 25 || *npeople < 4) {
		char household[RUHU_UUID_TEXT_LEN + 1];
		int n = 1 + (int)rnd(4);

		ruhu_uuid_v7(household);
		for (int k = 0; k < n && *npeople < MAX_PEOPLE; k++) {
			char idn[19], phone[12];
			int year = 1950 + (int)rnd(55), month = 1 + (int)rnd(12), day = 1 + (int)rnd(28);
			const char *d = difficulty[rnd(8)];

			ruhu_uuid_v7(ids[*npeople]);
			id_number(idn, year, month, day);
			snprintf(phone, sizeof(phone), "13%09u", (unsigned)rnd(1000000000));
			q = sqlite3_snprintf(sizeof(sql), sql,
				"INSERT INTO person VALUES (%Q, %Q, '%s%s', %Q, %Q, '%04d-%02d-%02d', %Q, "
				"'浙江省湖州市德清县%s镇%s村%u组%u号', %Q, %Q, %Q)",
				ids[*npeople], household, surnames[rnd(20)], given[rnd(20)], idn,
				rnd(2) ? "female" : "male", year, month, day, phone,
				villages[rnd(7)], villages[rnd(7)], (unsigned)rnd(12) + 1,
				(unsigned)rnd(90) + 1, statuses[rnd(6)], d,
				rnd(3) ? NULL : notes[rnd(5)]);
			exec(sdb, q);
			++*npeople;
		}
		snprintf(subject, sizeof(subject), "Register household (%d %s)", n,
			n == 1 ? "person" : "people");
		return subject;
	}
	{
		const char *id = ids[rnd((uint32_t)*npeople)];
		uint32_t what = rnd(4);

		if (what == 0)
			q = sqlite3_snprintf(sizeof(sql), sql, "UPDATE person SET phone = '13%09u' "
				"WHERE id = %Q", (unsigned)rnd(1000000000), id);
		else if (what == 1)
			q = sqlite3_snprintf(sizeof(sql), sql, "UPDATE person SET employment_status = %Q, "
				"difficulty_category = %Q WHERE id = %Q", statuses[rnd(6)],
				difficulty[rnd(8)], id);
		else if (what == 2)
			q = sqlite3_snprintf(sizeof(sql), sql, "UPDATE person SET address = "
				"'浙江省湖州市德清县%s镇%s村%u组%u号', phone = '13%09u' WHERE id = %Q",
				villages[rnd(7)], villages[rnd(7)], (unsigned)rnd(12) + 1,
				(unsigned)rnd(90) + 1, (unsigned)rnd(1000000000), id);
		else
			q = sqlite3_snprintf(sizeof(sql), sql, "UPDATE person SET notes = "
				"coalesce(notes || ' ', '') || %Q, employment_status = %Q WHERE id = %Q",
				notes[rnd(5)], statuses[rnd(6)], id);
		exec(sdb, q);
		return "Update person";
	}
}

/* Account for a stored commit or tree: its compressed size, and for a
 * commit also without its gpgsig header (what the signature costs). */
static void object_sizes(sizes *sz, git_repository *repo, const git_oid *id, int is_commit)
{
	git_odb *odb;
	git_odb_object *o;
	const char *data, *sig, *end;
	size_t len;

	if (git_repository_odb(&odb, repo) < 0 || git_odb_read(&o, odb, id) < 0)
		die("read object");
	data = git_odb_object_data(o);
	len = git_odb_object_size(o);
	*(is_commit ? &sz->commit_z : &sz->tree_z) += zsize(data, len);
	if (ruhu_buf_put(&sz->all, data, len) < 0 || ruhu_buf_put(&sz->no_txt, data, len) < 0)
		die("buffer");
	sig = is_commit ? strstr(data, "\ngpgsig ") : NULL;
	end = sig ? strstr(sig, "-----END SSH SIGNATURE-----\n") : NULL;
	if (end != NULL) {
		ruhu_buf b = RUHU_BUF_INIT;
		size_t cut = (size_t)(end + 28 - (sig + 1));

		if (ruhu_buf_put(&b, data, (size_t)(sig + 1 - data)) < 0 ||
		    ruhu_buf_put(&b, end + 28, len - (size_t)(end + 28 - data)) < 0)
			die("buffer");
		sz->unsigned_z += zsize(b.ptr, b.size);
		sz->sig_raw += cut;
		ruhu_buf_dispose(&b);
	}
	git_odb_object_free(o);
	git_odb_free(odb);
}

/* `commits` signed device saves; returns the tip and fills `sz`. */
static git_oid write_history(git_repository *repo, sqlite3 *sdb, const ruhu_signkey *key,
	int commits, sizes *sz)
{
	static char ids[MAX_PEOPLE][RUHU_UUID_TEXT_LEN + 1];
	int npeople = 0;
	git_oid tip, parent;
	int64_t t = 1795000000;

	for (int c = 0; c < commits; c++) {
		sqlite3_session *s;
		void *raw;
		int rawlen;
		ruhu_buf cs = RUHU_BUF_INIT, txt = RUHU_BUF_INIT;
		ruhu_tree_entry e[2];
		ruhu_commit_opts o = RUHU_COMMIT_OPTS_INIT;
		char seq[16], hlc[RUHU_HLC_TEXT_LEN + 1], visit[RUHU_UUID_TEXT_LEN + 1];
		char digest[RUHU_DIGEST_HEX_LEN + 1];
		unsigned char d[32];
		ruhu_trailer tr[7] = { { "Ruhu-Device", "tab-07" }, { "Ruhu-Worker", "w-0012" },
				       { "Ruhu-Seq", seq }, { "Ruhu-HLC", hlc },
				       { "Ruhu-Schema", "township-1" }, { "Ruhu-Visit", visit },
				       { "Ruhu-Digest", digest } };
		const char *subject;
		git_commit *commit;

		if (sqlite3session_create(sdb, "main", &s) != SQLITE_OK ||
		    sqlite3session_attach(s, "person") != SQLITE_OK)
			die("session");
		subject = edit(sdb, ids, &npeople);
		if (sqlite3session_changeset(s, &rawlen, &raw) != SQLITE_OK)
			die("changeset");
		sqlite3session_delete(s);
		if (ruhu_changeset_canonicalize(&cs, raw, (size_t)rawlen, tables, 1) < 0 ||
		    ruhu_changeset_text(&txt, cs.ptr, cs.size, sdb, NULL, NULL) < 0)
			die("canonical changeset");
		sqlite3_free(raw);
		sz->cs_raw += cs.size;
		sz->cs_zs[c] = zsize(cs.ptr, cs.size);
		sz->cs_z += sz->cs_zs[c];
		sz->txt_raw += txt.size;
		sz->txt_z += zsize(txt.ptr, txt.size);

		if (ruhu_blob_write(&e[0].oid, repo, cs.ptr, cs.size) < 0 ||
		    ruhu_blob_write(&e[1].oid, repo, txt.ptr, txt.size) < 0)
			die("blob");
		e[0].path = "changeset";
		e[1].path = "changes.txt";
		e[0].mode = e[1].mode = 0;
		t += 30 + rnd(600);
		snprintf(seq, sizeof(seq), "%d", c + 1);
		if (ruhu_hlc_format(hlc, (uint64_t)t * 1000 << 16) < 0)
			die("hlc");
		if (c % 6 == 0)
			ruhu_uuid_v7(visit);
		ruhu_hash_blake2b(d, sizeof(d), seq, strlen(seq), NULL, 0);
		for (int i = 0; i < 32; i++)
			snprintf(digest + 2 * i, 3, "%02x", d[i]);
		o.entries = e;
		o.nentries = 2;
		o.parents = c ? &parent : NULL;
		o.nparents = c ? 1 : 0;
		o.author = (ruhu_person){ "李娜", "w-0012@xinshi.township.example", t, 480 };
		o.committer = (ruhu_person){ "tab-07", "tab-07@xinshi.township.example", t, 480 };
		o.subject = subject;
		o.trailers = tr;
		o.ntrailers = 7;
		if (ruhu_commit_create(&tip, repo, &o, key) < 0)
			die("commit");
		object_sizes(sz, repo, &tip, 1);
		if (git_commit_lookup(&commit, repo, &tip) < 0)
			die("lookup");
		object_sizes(sz, repo, git_commit_tree_id(commit), 0);
		if (ruhu_buf_put(&sz->all, cs.ptr, cs.size) < 0 ||
		    ruhu_buf_put(&sz->all, txt.ptr, txt.size) < 0 ||
		    ruhu_buf_put(&sz->all_cs, cs.ptr, cs.size) < 0 ||
		    ruhu_buf_put(&sz->no_txt, cs.ptr, cs.size) < 0)
			die("buffer");
		git_commit_free(commit);
		parent = tip;
		sz->ids[c] = tip;
		ruhu_buf_dispose(&cs);
		ruhu_buf_dispose(&txt);
	}
	return tip;
}

static sqlite3 *open_db(const char *dir, const char *name)
{
	char path[4200];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("sqlite open");
	exec(db, "PRAGMA journal_mode=WAL");
	return db;
}

static void pack_only(git_buf *out, git_repository *repo, const git_oid *tip)
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

/* Ingest into a fresh file store, in one transaction; returns ms. */
static double ingest_fresh(const char *dir, const ruhu_bundle *b, const git_buf *pack, int n)
{
	sqlite3 *db = open_db(dir, "hub.db");
	git_repository *repo;
	ruhu_oidlist added = RUHU_OIDLIST_INIT;
	double t0;

	if (ruhu_odb_open(&repo, db) < 0)
		die("open hub");
	t0 = now();
	exec(db, "BEGIN");
	if (b) {
		if (ruhu_bundle_ingest(&added, repo, b, NULL) < 0 || added.count != (size_t)n)
			die("ingest");
	} else if (ruhu_odb_write_pack(NULL, repo, pack->ptr, pack->size, NULL) < 0) {
		die("write pack");
	}
	exec(db, "COMMIT");
	t0 = now() - t0;
	ruhu_oidlist_dispose(&added);
	git_repository_free(repo);
	sqlite3_close(db);
	return t0;
}

/* The last DAILY saves as an incremental bundle, as a day's push sends them. */
#define DAILY 20
static void daily(git_repository *repo, const ruhu_signkey *key, const ruhu_envelope_opts *eo,
	const sizes *sz, int commits)
{
	ruhu_bundle_ref ref = { "refs/devices/tab-07", { { 0 } } };
	ruhu_buf b = RUHU_BUF_INIT, env = RUHU_BUF_INIT;
	size_t cs_z = 0;

	if (commits <= DAILY)
		return;
	ref.oid = sz->ids[commits - 1];
	if (ruhu_bundle_create(&b, repo, &ref, 1, &sz->ids[commits - DAILY - 1], 1) < 0 ||
	    ruhu_envelope_seal(&env, eo, key, b.ptr, b.size) < 0)
		die("daily bundle");
	for (int i = commits - DAILY; i < commits; i++)
		cs_z += sz->cs_zs[i];
	printf("\n  a day's push: the last %d saves, incremental (one prerequisite)\n", DAILY);
	printf("    changesets, each zlib'd          %9zu B\n", cs_z);
	printf("    envelope                         %9zu B   ratio %.2fx\n", env.size,
		(double)env.size / (double)cs_z);
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&env);
}

static void report(const char *what, double ms, double base_ms, const char *base)
{
	if (base)
		printf("  %-34s %9.1f ms   %-30s %9.1f ms  %5.2fx\n", what, ms, base, base_ms,
			ms / base_ms);
	else
		printf("  %-34s %9.1f ms\n", what, ms);
}

int main(int argc, char **argv)
{
	int commits = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 1000;
	int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
	char dir[64] = "/tmp/ruhu-bench-XXXXXX", cmd[4400];
	sqlite3 *db, *sdb;
	git_repository *repo;
	ruhu_signkey *key;
	ruhu_boxkey *hub;
	unsigned char seed[RUHU_SEEDBYTES];
	sizes sz;
	git_oid tip;
	ruhu_buf bundle = RUHU_BUF_INIT, env = RUHU_BUF_INIT, body = RUHU_BUF_INIT;
	ruhu_envelope_opts eo = RUHU_ENVELOPE_OPTS_INIT;
	ruhu_envelope e;
	ruhu_bundle *parsed = NULL;
	ruhu_bundle_ref ref = { "refs/devices/tab-07", { { 0 } } };
	git_buf pack = GIT_BUF_INIT;
	double t[6][MAX_ROUNDS], t0;
	size_t hdr, plen;
	int have_git;

	if (commits < 1 || commits > 100000 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: bench_bundle [COMMITS (1..100000) [ROUNDS (1..%d)]]\n",
			MAX_ROUNDS);
		return 2;
	}
	if (ruhu_init() < 0 || mkdtemp(dir) == NULL)
		die("init");
	memset(seed, 7, sizeof(seed));
	if (ruhu_signkey_from_seed(&key, seed) < 0 || ruhu_boxkey_generate(&hub) < 0)
		die("keys");
	db = open_db(dir, "device.db");
	if (ruhu_odb_open(&repo, db) < 0 || sqlite3_open(":memory:", &sdb) != SQLITE_OK)
		die("open");
	exec(sdb, person_sql);
	memset(&sz, 0, sizeof(sz));
	sz.ids = calloc((size_t)commits, sizeof(*sz.ids));
	sz.cs_zs = calloc((size_t)commits, sizeof(*sz.cs_zs));
	if (sz.ids == NULL || sz.cs_zs == NULL)
		die("memory");
	exec(db, "BEGIN");
	tip = write_history(repo, sdb, key, commits, &sz);
	exec(db, "COMMIT");
	ref.oid = tip;
	eo.kind = RUHU_ENVELOPE_DEVICE_BUNDLE;
	eo.sender = "tab-07";
	eo.recipient = "hub-xinshi";
	eo.recipient_key = ruhu_boxkey_public(hub);

	for (int r = 0; r < rounds; r++) {
		ruhu_buf_clear(&bundle);
		ruhu_buf_clear(&env);
		ruhu_buf_clear(&body);
		ruhu_bundle_free(parsed);
		git_buf_dispose(&pack);
		t0 = now();
		if (ruhu_bundle_create(&bundle, repo, &ref, 1, NULL, 0) < 0)
			die("create");
		t[0][r] = now() - t0;
		t0 = now();
		pack_only(&pack, repo, &tip);
		t[1][r] = now() - t0;
		t0 = now();
		if (ruhu_envelope_seal(&env, &eo, key, bundle.ptr, bundle.size) < 0)
			die("seal");
		t[2][r] = now() - t0;
		t0 = now();
		if (ruhu_envelope_parse(&e, env.ptr, env.size) < 0 ||
		    ruhu_envelope_open(&body, &e, ruhu_signkey_public(key), hub) < 0)
			die("open");
		t[3][r] = now() - t0;
		t0 = now();
		if (ruhu_bundle_parse(&parsed, body.ptr, body.size) < 0)
			die("parse");
		t[4][r] = now() - t0;
		t[5][r] = ingest_fresh(dir, parsed, NULL, commits);
	}
	ruhu_bundle_pack(parsed, &plen);
	hdr = bundle.size - plen;

	printf("bundle of %d device saves (canonical changesets of `person`, changes.txt, "
	       "signed commits)\n\n", commits);
	printf("  changesets, raw                    %9zu B\n", sz.cs_raw);
	printf("  changesets, each zlib'd (baseline) %9zu B\n", sz.cs_z);
	printf("  envelope                           %9zu B   ratio %.2fx (target <= 1.2x)\n",
		env.size, (double)env.size / (double)sz.cs_z);
	printf("\n  where the envelope's bytes go (each object zlib'd alone; the pack's deltas "
	       "save the rest)\n");
	printf("    changeset blobs                  %9zu B  %5.1f%%\n", sz.cs_z,
		100.0 * (double)sz.cs_z / (double)env.size);
	printf("    changes.txt blobs (raw %7zu)   %9zu B  %5.1f%%\n", sz.txt_raw, sz.txt_z,
		100.0 * (double)sz.txt_z / (double)env.size);
	printf("    trees                            %9zu B  %5.1f%%\n", sz.tree_z,
		100.0 * (double)sz.tree_z / (double)env.size);
	printf("    commits without signature        %9zu B  %5.1f%%\n", sz.unsigned_z,
		100.0 * (double)sz.unsigned_z / (double)env.size);
	printf("    signatures (raw %7zu)          %9zu B  %5.1f%%\n", sz.sig_raw,
		sz.commit_z - sz.unsigned_z,
		100.0 * (double)(sz.commit_z - sz.unsigned_z) / (double)env.size);
	printf("    object headers in the pack, deltas: pack %zu B vs sum %zu B\n", plen,
		sz.cs_z + sz.txt_z + sz.tree_z + sz.commit_z);
	printf("    bundle header                    %9zu B\n", hdr);
	printf("    envelope (header, key, tags, sig) %8zu B\n", env.size - bundle.size);
	printf("\n  for comparison, one zlib stream over all the bytes (no per-object compression)\n");
	printf("    every changeset                  %9zu B\n", zsize(sz.all_cs.ptr, sz.all_cs.size));
	printf("    every object of the bundle       %9zu B   ratio %.2fx\n",
		zsize(sz.all.ptr, sz.all.size), (double)zsize(sz.all.ptr, sz.all.size) / (double)sz.cs_z);
	printf("    every object but changes.txt     %9zu B   ratio %.2fx\n",
		zsize(sz.no_txt.ptr, sz.no_txt.size),
		(double)zsize(sz.no_txt.ptr, sz.no_txt.size) / (double)sz.cs_z);
	printf("    per save: envelope %.0f B, changeset %.0f B, the rest %.0f B\n",
		(double)env.size / commits, (double)sz.cs_z / commits,
		(double)(env.size - sz.cs_z) / commits);
	daily(repo, key, &eo, &sz, commits);

	printf("\ntimes, median of %d rounds\n", rounds);
	report("bundle create", median(t[0], rounds), median(t[1], rounds), "packbuilder alone");
	report("envelope seal", median(t[2], rounds), 0, NULL);
	report("envelope parse + open", median(t[3], rounds), 0, NULL);
	report("bundle parse", median(t[4], rounds), 0, NULL);
	for (int r = 0; r < rounds; r++)
		t[1][r] = ingest_fresh(dir, NULL, &pack, commits);
	report("bundle ingest (fresh store)", median(t[5], rounds), median(t[1], rounds),
		"ruhu_odb_write_pack alone");

	/* stock git over an export of the same history */
	{
		ruhu_export_ref xr = { "refs/heads/main", tip };
		char out[4200];

		snprintf(out, sizeof(out), "%s/export.git", dir);
		have_git = system("git --version >/dev/null 2>&1") == 0;
		if (have_git && ruhu_export(out, repo, &xr, 1, NULL, 0) == 0) {
			snprintf(cmd, sizeof(cmd), "cd '%s' && git bundle create -q ../git.bundle "
				"refs/heads/main", out);
			for (int r = 0; r < rounds; r++) {
				t0 = now();
				if (system(cmd) != 0)
					die("git bundle create");
				t[1][r] = now() - t0;
			}
			report("stock git bundle create (process)", median(t[1], rounds), 0, NULL);
		}
	}

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_bundle: cannot remove %s\n", dir);
	ruhu_bundle_free(parsed);
	git_buf_dispose(&pack);
	ruhu_buf_dispose(&bundle);
	ruhu_buf_dispose(&env);
	ruhu_buf_dispose_secure(&body);
	ruhu_buf_dispose(&sz.all);
	ruhu_buf_dispose(&sz.all_cs);
	ruhu_buf_dispose(&sz.no_txt);
	free(sz.ids);
	free(sz.cs_zs);
	git_repository_free(repo);
	sqlite3_close(db);
	sqlite3_close(sdb);
	ruhu_signkey_free(key);
	ruhu_boxkey_free(hub);
	return 0;
}
