/*
 * changeset_fuzz.c — the changeset parser, canonicaliser, iterator and text
 * form (core/changeset.h), on untrusted bytes.
 * Properties: no input reads outside its bytes; what ruhu_changeset_check
 * accepts, SQLite's own sqlite3changeset_invert accepts too (changeset.h,
 * note 1); a canonical form is canonical and canonicalises to itself; the
 * iterator and the text form never fail on an accepted changeset but for
 * memory.
 */
#include <string.h>

#include <sqlite3.h>

#include "core/changeset.h"
#include "fuzz.h"

#define MAX_TABLES 64

struct tables {
	const char *name[MAX_TABLES];
	size_t n;
};

static int collect(const ruhu_chg_table *t, const ruhu_chg_rec *r, void *payload)
{
	struct tables *ts = payload;

	for (size_t i = 0; i < ts->n; i++)
		if (strcmp(ts->name[i], t->name) == 0)
			return 0;
	if (ts->n < MAX_TABLES)
		ts->name[ts->n++] = t->name;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ruhu_buf canon = RUHU_BUF_INIT, again = RUHU_BUF_INIT, text = RUHU_BUF_INIT;
	ruhu_changeset_iter *it = NULL;
	const ruhu_change *c;
	struct tables ts = { { NULL }, 0 };
	void *inv = NULL;
	size_t count;
	int ninv = 0, rc;

	if (ruhu_changeset_check(data, size) != 0)
		return 0;
	FUZZ_CHECK(ruhu_changeset_count(&count, data, size) == 0);
	rc = sqlite3changeset_invert((int)size, data, &ninv, &inv);
	FUZZ_CHECK(rc == SQLITE_OK || rc == SQLITE_NOMEM);
	sqlite3_free(inv);
	FUZZ_CHECK(ruhu_changeset_walk(data, size, collect, &ts) == 0);
	if (ts.n < MAX_TABLES &&
	    ruhu_changeset_canonicalize(&canon, data, size, ts.name, ts.n) == 0) {
		FUZZ_CHECK(ruhu_changeset_is_canonical(canon.ptr, canon.size, ts.name, ts.n) == 1);
		FUZZ_CHECK(ruhu_changeset_canonicalize(&again, canon.ptr, canon.size, ts.name, ts.n) == 0);
		FUZZ_CHECK(again.size == canon.size && memcmp(again.ptr, canon.ptr, canon.size) == 0);
	}
	if (ruhu_changeset_iter_new(&it, data, size, NULL, NULL, NULL) == 0) {
		while ((rc = ruhu_changeset_iter_next(&c, it)) == 1)
			FUZZ_CHECK(c->table != NULL);
		FUZZ_CHECK(rc == 0 || rc == RUHU_ENOMEM);
	}
	ruhu_changeset_iter_free(it);
	rc = ruhu_changeset_text(&text, data, size, NULL, NULL, NULL);
	FUZZ_CHECK(rc == 0 || rc == RUHU_ENOMEM);
	ruhu_buf_dispose(&canon);
	ruhu_buf_dispose(&again);
	ruhu_buf_dispose(&text);
	return 0;
}
