/*
 * merge_fuzz.c — the hub's merge (sync/merge.h, ruhu_merge_apply) of an
 * untrusted changeset into a small seeded hub database: the township
 * schema and provenance tables in memory, the rows of merge_seed.h, and the
 * hub's own later edits of them.  Each input is merged in HUB mode, then in
 * REDO mode, each inside a transaction rolled back afterwards, so that every
 * input meets the same database.
 * Properties: no input crashes or reads outside its bytes; a merge that
 * refuses has a message and leaves the database exactly as it was (every
 * table, provenance included); a merge that succeeds writes decisions.txt,
 * and its net changeset applied to the database of before (with SQLite's
 * own apply, no conflict allowed) gives exactly the record rows the merge
 * left (sync/merge.h, design note 4).
 */
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "core/provenance.h"
#include "core/save.h"
#include "fuzz.h"
#include "merge_seed.h"
#include "ruhu/schema.h"
#include "schema/schema_db.h"
#include "sync/merge.h"

static sqlite3 *db;
static ruhu_schema *schema;
static const char **tables;
static size_t ntables;

/* A hash of every row of every table (`records`: record tables only). */
static void state(unsigned char out[32], int records)
{
	crypto_generichash_state h;
	sqlite3_stmt *list = NULL, *st = NULL;
	char sql[256];

	crypto_generichash_init(&h, NULL, 0, 32);
	FUZZ_CHECK(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' "
				      "ORDER BY name", -1, &list, NULL) == SQLITE_OK);
	while (sqlite3_step(list) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(list, 0);
		int is_record = 0;

		for (size_t i = 0; i < ntables; i++)
			is_record |= strcmp(name, tables[i]) == 0;
		if (records && !is_record)
			continue;
		crypto_generichash_update(&h, (const unsigned char *)name, strlen(name) + 1);
		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" ORDER BY 1", name);
		FUZZ_CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(st); c++) {
				unsigned char t = (unsigned char)sqlite3_column_type(st, c);
				const void *p = sqlite3_column_blob(st, c);
				int n = sqlite3_column_bytes(st, c);

				crypto_generichash_update(&h, &t, 1);
				crypto_generichash_update(&h, (const unsigned char *)&n, sizeof(n));
				if (p)
					crypto_generichash_update(&h, p, (size_t)n);
			}
		}
		sqlite3_finalize(st);
	}
	sqlite3_finalize(list);
	crypto_generichash_final(&h, out, 32);
}

static void exec(const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		fprintf(stderr, "merge_fuzz: %s\n", sqlite3_errmsg(db));
	FUZZ_CHECK(rc == SQLITE_OK);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FUZZ_CHECK(ruhu_init() == 0);
	FUZZ_CHECK(ruhu_schema_load_default(&schema) == 0);
	FUZZ_CHECK(ruhu_save_tables(&tables, &ntables, schema) == 0);
	FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
	FUZZ_CHECK(ruhu_schema_register(db) == 0);
	exec("BEGIN");
	FUZZ_CHECK(ruhu_schema_install(db, schema) == 0);
	FUZZ_CHECK(ruhu_provenance_init(db) == 0);
	exec(ms_base_sql);
	exec(ms_hub_sql);
	exec("COMMIT");
	return 0;
}

static void rollback(void)
{
	if (!sqlite3_get_autocommit(db))
		exec("ROLLBACK");
}

static int abort_conflict(void *ctx, int kind, sqlite3_changeset_iter *it)
{
	(void)it;
	*(int *)ctx = kind;
	return SQLITE_CHANGESET_ABORT;
}

static void merge(const uint8_t *data, size_t size, ruhu_merge_mode mode)
{
	ruhu_merge_opts o = RUHU_MERGE_OPTS_INIT;
	ruhu_merge_result *res = NULL;
	ruhu_buf text = RUHU_BUF_INIT, net = RUHU_BUF_INIT;
	unsigned char before[32], after[32], records[32], replay[32];
	int rc, conflict = 0;

	o.mode = mode;
	o.hlc = (UINT64_C(1795741200000) << 16) | 1;
	o.origin = "tab-07";
	o.worker = "w-01";
	state(before, 0);
	exec("BEGIN");
	rc = ruhu_merge_apply(&res, db, schema, data, size, &o);
	if (rc < 0) {
		/* refused: a message, and nothing changed */
		FUZZ_CHECK(res == NULL);
		FUZZ_CHECK(ruhu_error_last()[0] != '\0');
		state(after, 0);
		FUZZ_CHECK(memcmp(before, after, 32) == 0);
		rollback();
		return;
	}
	rc = ruhu_merge_decisions_text(&text, res);
	FUZZ_CHECK(rc == 0 || rc == RUHU_ENOMEM);
	FUZZ_CHECK(ruhu_buf_put(&net, res->net.ptr ? res->net.ptr : "", res->net.size) == 0);
	state(records, 1);
	rollback();
	/* the net changeset takes the rows of before to the rows of after */
	exec("BEGIN");
	if (net.size) {
		rc = sqlite3changeset_apply(db, (int)net.size, net.ptr, NULL, abort_conflict, &conflict);
		FUZZ_CHECK(rc == SQLITE_OK && conflict == 0);
	}
	state(replay, 1);
	FUZZ_CHECK(memcmp(records, replay, 32) == 0);
	rollback();
	ruhu_merge_result_free(res);
	ruhu_buf_dispose(&text);
	ruhu_buf_dispose(&net);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	merge(data, size, RUHU_MERGE_HUB);
	merge(data, size, RUHU_MERGE_REDO);
	ruhu_error_clear();
	return 0;
}
