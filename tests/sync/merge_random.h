/*
 * merge_random.h — the seeded property test of the merge, shared by the
 * unit suite (merge_random, 200 seeds per mode) and the slow suite
 * (merge_random_slow, 1,000 more per mode).
 *
 * Per seed: three simulated devices make one to three saves each from a
 * common base (each save a changeset captured on the device's own copy, on
 * top of its earlier saves), with per-device increasing HLCs that may tie
 * across devices.  Two hubs merge the saves in two random interleavings
 * (each device's saves in order); a third replica merges hub 1's order in
 * REDO mode.
 *
 * Commutative mode edits only fields whose rules commute when every edit is
 * new (lww with values never used before, union, order with advancing
 * states and a single final, min decreasing, max increasing): both hubs
 * must end with identical rows.  Chaos mode adds every other rule, deletes,
 * inserts with duplicate keys and missing parents, frozen visits, and
 * values set back to the base.  In both modes, after every merge: each
 * field decision's result is what the row holds; the net changeset applied
 * to the state before the merge gives the state after it (rows and digest);
 * and REDO mode ends with the same rows, clocks and tombstones as hub 1.
 */
#ifndef RUHU_TEST_MERGE_RANDOM_H
#define RUHU_TEST_MERGE_RANDOM_H

#include "sync/merge_fixture.h"

struct mr_rng {
	uint64_t s;
};

static uint64_t mr_next(struct mr_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * UINT64_C(2685821657736338717);
}

static unsigned mr_pick(struct mr_rng *r, unsigned n)
{
	return (unsigned)(mr_next(r) % n);
}

#define MR_DEVICES 3
#define MR_MAXSAVES 3

struct mr_save {
	ruhu_buf cs;
	uint64_t hlc;
	int device;
};

static const char *const mr_cats[] = { "aged", "disabled", "land_lost", "low_income", "other" };
static const char *const mr_mats[] = { "household_register", "id_card", "photo", "proof" };
static const char *const mr_app_states[] = { "received", "materials_pending", "accepted",
					     "processing", "completed", "rejected" };
static const char *const mr_dispute_states[] = { "received", "mediating", "settled" };
static const char *const mr_complaint_states[] = { "received", "handling", "responded", "closed" };

/* A random subset of `set` as a token set (sorted: the lists are sorted). */
static void mr_subset(ruhu_buf *out, struct mr_rng *r, const char *const *set, size_t n)
{
	ruhu_buf_clear(out);
	for (size_t i = 0; i < n; i++)
		if (mr_pick(r, 2))
			rt_ok(ruhu_buf_printf(out, "%s%s", out->size ? "," : "", set[i]));
}

/* set = set ∪ cur (separate buffers: the union clears its output first) */
static void mr_add_current(ruhu_buf *set, const char *cur)
{
	ruhu_buf u = RUHU_BUF_INIT;

	rt_ok(ruhu_tokens_union(&u, set->size ? set->ptr : NULL, cur));
	ruhu_buf_clear(set);
	if (u.size)
		rt_ok(ruhu_buf_put(set, u.ptr, u.size));
	ruhu_buf_dispose(&u);
}

static int mr_rank(const char *const *states, size_t n, const char *v)
{
	for (size_t i = 0; v && i < n; i++)
		if (strcmp(states[i], v) == 0)
			return (int)i;
	return -1;
}

/* One random edit on a device replica, as SQL in `sql` (appended). */
static void mr_edit(ruhu_buf *sql, sqlite3 *dev, struct mr_rng *r, unsigned *uniq, int chaos)
{
	ruhu_buf set = RUHU_BUF_INIT;
	const char *pid = mr_pick(r, 2) ? MF_P1 : MF_P2;
	unsigned k = chaos ? mr_pick(r, 22) : mr_pick(r, 11);
	char *cur = NULL;
	char q[256];

	(*uniq)++;
	switch (k) {
	case 0:
		rt_ok(ruhu_buf_printf(sql, "UPDATE person SET phone = '138%08u' WHERE id = '%s';", *uniq, pid));
		break;
	case 1:
		rt_ok(ruhu_buf_printf(sql, "UPDATE person SET address = 'addr-%u' WHERE id = '%s';", *uniq, pid));
		break;
	case 2:
		/* union: any subset in chaos mode; only additions otherwise (a
		 * removal racing a re-addition follows arrival order) */
		snprintf(q, sizeof(q), "SELECT difficulty_category FROM person WHERE id = '%s'", pid);
		cur = mf_text(dev, q);
		mr_subset(&set, r, mr_cats, 5);
		if (!chaos)
			mr_add_current(&set, cur);
		rt_ok(ruhu_buf_printf(sql, "UPDATE person SET difficulty_category = %s%s%s WHERE id = '%s';",
				      set.size ? "'" : "", set.size ? set.ptr : "NULL", set.size ? "'" : "", pid));
		break;
	case 3:
		cur = mf_text(dev, "SELECT materials_received FROM application");
		mr_subset(&set, r, mr_mats, 4);
		if (!chaos)
			mr_add_current(&set, cur);
		rt_ok(ruhu_buf_printf(sql, "UPDATE application SET materials_received = %s%s%s;",
				      set.size ? "'" : "", set.size ? set.ptr : "NULL", set.size ? "'" : ""));
		break;
	case 4: {
		int rank;

		cur = mf_text(dev, "SELECT status FROM application");
		rank = mr_rank(mr_app_states, 6, cur);
		if (rank >= 0 && rank < 5)
			rt_ok(ruhu_buf_printf(sql, "UPDATE application SET status = '%s';",
					      mr_app_states[rank + 1 + mr_pick(r, (unsigned)(5 - rank))]));
		break;
	}
	case 5: {
		int rank;

		cur = mf_text(dev, "SELECT status FROM dispute");
		rank = mr_rank(mr_dispute_states, 3, cur);
		if (rank >= 0 && rank < 2)
			rt_ok(ruhu_buf_printf(sql, "UPDATE dispute SET status = '%s';",
					      mr_dispute_states[rank + 1 + mr_pick(r, (unsigned)(2 - rank))]));
		break;
	}
	case 6: {
		int rank;

		cur = mf_text(dev, "SELECT status FROM complaint");
		rank = mr_rank(mr_complaint_states, 4, cur);
		if (rank >= 0 && rank < 3)
			rt_ok(ruhu_buf_printf(sql, "UPDATE complaint SET status = '%s';",
					      mr_complaint_states[rank + 1 + mr_pick(r, (unsigned)(3 - rank))]));
		break;
	}
	case 7:
		/* min: only earlier */
		rt_ok(ruhu_buf_printf(sql, "UPDATE application SET received_at = strftime("
				      "'%%Y-%%m-%%dT%%H:%%M:%%S+08:00', substr(received_at, 1, 19), '-%u minutes');",
				      1 + mr_pick(r, 90)));
		break;
	case 8:
		rt_ok(ruhu_buf_printf(sql, "UPDATE dispute SET received_at = strftime("
				      "'%%Y-%%m-%%dT%%H:%%M:%%S+08:00', substr(received_at, 1, 19), '-%u minutes');",
				      1 + mr_pick(r, 90)));
		break;
	case 9:
		/* max: only later */
		rt_ok(ruhu_buf_printf(sql, "UPDATE complaint SET feedback_at = strftime("
				      "'%%Y-%%m-%%dT%%H:%%M:%%S+08:00', substr(coalesce(feedback_at, received_at),"
				      " 1, 19), '+%u minutes');", 1 + mr_pick(r, 900)));
		break;
	case 10:
		rt_ok(ruhu_buf_printf(sql, "UPDATE dispute SET amount_claimed = %u;", 1000 + *uniq));
		break;
	/* ---- chaos only ---- */
	case 11:
		rt_ok(ruhu_buf_printf(sql, "UPDATE person SET notes = coalesce(notes, '') || char(10) || 'note %u'"
				      " WHERE id = '%s';", *uniq, pid));
		break;
	case 12:
		rt_ok(ruhu_buf_printf(sql, "UPDATE person SET notes = 'whole %u' WHERE id = '%s';", *uniq, pid));
		break;
	case 13:
		rt_ok(ruhu_buf_printf(sql, "UPDATE person SET birth_date = '19%02u-0%u-1%u' WHERE id = '%s';",
				      10 + mr_pick(r, 80), 1 + mr_pick(r, 9), mr_pick(r, 9), pid));
		break;
	case 14:
		rt_ok(ruhu_buf_printf(sql, "UPDATE worker SET name = 'w%u'; UPDATE visit SET location = 'l%u';",
				      *uniq, *uniq));
		break;
	case 15:
		rt_ok(ruhu_buf_puts(sql, mr_pick(r, 2) ? "UPDATE visit SET ended_at = '2024-05-06T11:00:00+08:00';"
				    : "UPDATE visit SET purpose = 'publicity', summary = coalesce(summary, '') || 's';"));
		break;
	case 16: {
		static const char *const dels[] = {
			"DELETE FROM person WHERE id = '" MF_P2 "';", "DELETE FROM holiday;",
			"DELETE FROM complaint;", "DELETE FROM survey;", "DELETE FROM household;",
		};
		rt_ok(ruhu_buf_puts(sql, dels[mr_pick(r, 5)]));
		break;
	}
	case 17: {
		char idn[19];
		char first[18];

		snprintf(first, sizeof(first), "3211121980010112%u", mr_pick(r, 3));
		mf_id_number(idn, first);
		snprintf(q, sizeof(q), "01890a5d-ac96-774b-bcce-b3020%07u", *uniq);
		rt_ok(ruhu_buf_printf(sql, "INSERT INTO person (id, household_id, name, id_number) VALUES"
				      " ('%s', %s, '新%u', '%s');", q,
				      mr_pick(r, 2) ? "'" MF_HH "'" : "NULL", *uniq, idn));
		break;
	}
	case 18:
		snprintf(q, sizeof(q), "01890a5d-ac96-774b-bcce-b3020%07u", *uniq);
		rt_ok(ruhu_buf_printf(sql, "INSERT INTO visit (id, household_id, worker_id, device_id, purpose,"
				      " started_at) VALUES ('%s', '%s', 'staff-001', 'tab', 'intake',"
				      " '2024-05-07T09:00:00+08:00');", q,
				      mr_pick(r, 3) ? MF_HH : MF_ID(99)));
		break;
	case 19:
		/* back to the base value */
		rt_ok(ruhu_buf_printf(sql, "UPDATE person SET phone = '13912345678', address = NULL WHERE id = '%s';",
				      pid));
		break;
	case 20:
		rt_ok(ruhu_buf_printf(sql, "UPDATE application SET status = '%s', item = 'x.%u';",
				      mr_app_states[mr_pick(r, 6)], mr_pick(r, 3)));
		break;
	default:
		rt_ok(ruhu_buf_printf(sql, "UPDATE holiday SET name = 'h%u', kind = 'workday';", *uniq));
		break;
	}
	free(cur);
	ruhu_buf_dispose(&set);
}

/* Every field decision's result is what the row now holds. */
static void mr_check_results(sqlite3 *db, const ruhu_merge_result *res)
{
	for (size_t i = 0; i < res->ndecisions; i++) {
		const ruhu_merge_decision *d = &res->decisions[i];
		char sql[512];
		sqlite3_stmt *st = NULL;
		ruhu_cval v;

		if (d->field == NULL || d->result.type == RUHU_CVAL_UNDEFINED)
			continue;
		snprintf(sql, sizeof(sql), "SELECT \"%s\" FROM \"%s\" WHERE id = ?1", d->field, d->type);
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
		ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "decision on a missing row %s %s", d->type, d->id);
		ruhu_cval_from_column(&v, st, 0);
		ck_assert_msg(ruhu_cval_equal(&v, &d->result), "decision %s on %s.%s: result differs from row",
			      d->rule, d->type, d->field);
		sqlite3_finalize(st);
	}
}

/* Decisions seen per rule over a run, to show the run reached them. */
static const char *const mr_rules[] = { "lww", "union", "order", "min", "max", "append", "review",
					"hub", "device", "delete_wins", "delete_review", "immutable",
					"parent_missing", "duplicate", "record_missing" };
#define MR_NRULES (sizeof(mr_rules) / sizeof(mr_rules[0]))
static size_t mr_seen[MR_NRULES];

static void mr_count(const ruhu_merge_result *res)
{
	for (size_t i = 0; i < res->ndecisions; i++)
		for (size_t k = 0; k < MR_NRULES; k++)
			if (strcmp(res->decisions[i].rule, mr_rules[k]) == 0)
				mr_seen[k]++;
}

/* Merge and check the net changeset against a copy of the state before. */
static ruhu_merge_result *mr_merge(sqlite3 *hub, const ruhu_schema *s, const struct mr_save *sv,
				   ruhu_merge_mode mode, int check_net)
{
	static const char *const origins[MR_DEVICES] = { "tab-01", "tab-02", "tab-03" };
	sqlite3 *copy = check_net ? mf_clone(hub) : NULL;
	ruhu_merge_result *r = check_net ?
		mf_merge_checked(hub, s, &sv->cs, sv->hlc, origins[sv->device], mode) :
		mf_merge_mode(hub, s, &sv->cs, sv->hlc, origins[sv->device], mode);

	mr_check_results(hub, r);
	if (check_net)
		mr_count(r);
	if (copy) {
		ruhu_digest a, b;

		if (r->net.size)
			ck_assert_int_eq(sqlite3changeset_apply(copy, (int)r->net.size, r->net.ptr, NULL, NULL,
								NULL), SQLITE_OK);
		mf_assert_same_rows(hub, copy, s);
		mf_digest(&a, hub, s);
		mf_digest(&b, copy, s);
		ck_assert(ruhu_digest_equal(&a, &b));
		sqlite3_close(copy);
	}
	return r;
}

/* A random interleaving of the saves keeping each device's order. */
static void mr_order(size_t *out, struct mr_rng *r, const struct mr_save *sv, size_t n)
{
	size_t next[MR_DEVICES] = { 0 }, k = 0;
	size_t idx[MR_DEVICES][MR_MAXSAVES], cnt[MR_DEVICES] = { 0 };

	for (size_t i = 0; i < n; i++)
		idx[sv[i].device][cnt[sv[i].device]++] = i;
	while (k < n) {
		int d = (int)mr_pick(r, MR_DEVICES);

		if (next[d] < cnt[d])
			out[k++] = idx[d][next[d]++];
	}
}

static void mr_seed(const ruhu_schema *s, sqlite3 *base, uint64_t seed, int chaos)
{
	struct mr_rng r = { seed * UINT64_C(0x9e3779b97f4a7c15) + 1 };
	struct mr_save sv[MR_DEVICES * MR_MAXSAVES];
	size_t n = 0, o1[MR_DEVICES * MR_MAXSAVES], o2[MR_DEVICES * MR_MAXSAVES];
	unsigned uniq = (unsigned)(seed % 1000) * 1000;
	sqlite3 *hub1 = mf_clone(base), *hub2 = mf_clone(base), *redo = mf_clone(base);
	ruhu_buf sql = RUHU_BUF_INIT, t1 = RUHU_BUF_INIT, t2 = RUHU_BUF_INIT;

	for (int d = 0; d < MR_DEVICES; d++) {
		sqlite3 *dev = mf_clone(base);
		uint64_t ms = 1000;
		unsigned saves = 1 + mr_pick(&r, MR_MAXSAVES);

		for (unsigned k = 0; k < saves; k++) {
			unsigned edits = 1 + mr_pick(&r, 4);

			ruhu_buf_clear(&sql);
			rt_ok(ruhu_buf_puts(&sql, "SAVEPOINT e;"));
			for (unsigned e = 0; e < edits; e++)
				mr_edit(&sql, dev, &r, &uniq, chaos);
			rt_ok(ruhu_buf_puts(&sql, "RELEASE e;"));
			memset(&sv[n], 0, sizeof(sv[n]));
			/* an edit the device's own checks refuse is not saved */
			if (sqlite3_exec(dev, "SAVEPOINT probe", NULL, NULL, NULL) == SQLITE_OK &&
			    sqlite3_exec(dev, sql.ptr, NULL, NULL, NULL) != SQLITE_OK) {
				sqlite3_exec(dev, "ROLLBACK TO probe; RELEASE probe", NULL, NULL, NULL);
				continue;
			}
			sqlite3_exec(dev, "ROLLBACK TO probe; RELEASE probe", NULL, NULL, NULL);
			mf_capture(&sv[n].cs, dev, s, sql.ptr);
			if (sv[n].cs.size == 0)
				continue;
			ms += 1 + mr_pick(&r, 3);
			sv[n].hlc = ruhu_hlc_make(ms, 0);
			sv[n].device = d;
			n++;
		}
		sqlite3_close(dev);
	}
	mr_order(o1, &r, sv, n);
	mr_order(o2, &r, sv, n);
	for (size_t i = 0; i < n; i++) {
		ruhu_merge_result *a = mr_merge(hub1, s, &sv[o1[i]], RUHU_MERGE_HUB, 1);
		ruhu_merge_result *b = mr_merge(hub2, s, &sv[o2[i]], RUHU_MERGE_HUB, 0);
		ruhu_merge_result *c = mr_merge(redo, s, &sv[o1[i]], RUHU_MERGE_REDO, 0);

		ck_assert_uint_eq(c->nreviews, 0);
		ck_assert_uint_eq(a->ndecisions, c->ndecisions);
		ruhu_merge_result_free(a);
		ruhu_merge_result_free(b);
		ruhu_merge_result_free(c);
	}
	if (!chaos)
		mf_assert_same_rows(hub1, hub2, s);
	mf_dump_all(&t1, hub1, s);
	mf_dump_all(&t2, redo, s);
	ck_assert_msg(strcmp(t1.ptr, t2.ptr) == 0, "seed %llu: redo differs from hub", (unsigned long long)seed);
	for (size_t i = 0; i < n; i++)
		ruhu_buf_dispose(&sv[i].cs);
	ruhu_buf_dispose(&sql);
	ruhu_buf_dispose(&t1);
	ruhu_buf_dispose(&t2);
	sqlite3_close(hub1);
	sqlite3_close(hub2);
	sqlite3_close(redo);
}

static void mr_run(uint64_t first, uint64_t count, int chaos)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	sqlite3 *base = mf_base(s);
	size_t want = chaos ? MR_NRULES : 5;

	memset(mr_seen, 0, sizeof(mr_seen));
	for (uint64_t seed = first; seed < first + count; seed++)
		mr_seed(s, base, seed, chaos);
	/* the run reached every rule it can reach (commutative: the first 5) */
	for (size_t k = 0; k < want; k++)
		ck_assert_msg(mr_seen[k] > 0, "no %s decision in %llu seeds", mr_rules[k],
			      (unsigned long long)count);
	sqlite3_close(base);
	ruhu_schema_free(s);
}

#endif
