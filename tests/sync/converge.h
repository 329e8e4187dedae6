/*
 * converge.h — the seeded convergence property shared by test_converge.c
 * (the default run) and test_converge_slow.c (more seeds):
 *
 *   random edits on three tablets, random sync schedules in which bundles
 *   and replies are duplicated, reordered and dropped (then retried);
 *   at the end, after rounds of push / ingest / reply / pull until no save
 *   is pending, every tablet's digest equals the hub's and their rows are
 *   the same.
 *
 * A template (a hub and three joined tablets sharing a few households,
 * residents and applications) is made once per process and copied for each
 * seed, so a seed costs its edits and syncs, not four Argon2 runs.
 */
#ifndef RUHU_TEST_CONVERGE_H
#define RUHU_TEST_CONVERGE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"

#define NDEV 3
#define NREC 6      /* records of each type the template shares */
#define NET_MAX 64  /* bundles and replies "in flight" */

static char cv_dir[256], cv_template[512];
static const char *cv_devs[NDEV] = { "tab-01", "tab-02", "tab-03" };

static uint64_t cv_state;

static uint64_t cv_rand(void)
{
	/* xorshift64*: a seed gives the same run on every machine */
	cv_state ^= cv_state >> 12;
	cv_state ^= cv_state << 25;
	cv_state ^= cv_state >> 27;
	return cv_state * 0x2545F4914F6CDD1DULL;
}

static unsigned int cv_pick(unsigned int n)
{
	return (unsigned int)(cv_rand() % n);
}

static ruhu_replica_options cv_fast(void)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;

	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	return o;
}

static void cv_idnumber(char out[19], unsigned int n)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char m[] = "10X98765432";
	int sum = 0;

	snprintf(out, 19, "3201021985%02u%02u%03u", 1 + n % 12, 1 + n % 28, n % 1000);
	for (int i = 0; i < 17; i++)
		sum += (out[i] - '0') * w[i];
	out[17] = m[sum % 11];
	out[18] = '\0';
}

static void cv_phone(char out[12])
{
	snprintf(out, 12, "13%09u", (unsigned int)(cv_rand() % 1000000000u));
}

/* ids of the shared records, fixed so every seed knows them */
static void cv_id(char out[RUHU_ID_SIZE], int type, int i)
{
	snprintf(out, RUHU_ID_SIZE, "0190e0e0-00%02d-7000-8000-0000000000%02d", type, i);
}

static void cv_copy(const char *from, const char *to)
{
	ck_assert_int_eq(rt_sh(NULL, "rm -rf '%s' && cp -a '%s' '%s'", to, from, to), 0);
}

static ruhu_replica *cv_open(const char *root, const char *name)
{
	ruhu_replica_options o = cv_fast();
	ruhu_replica *r = NULL;
	char p[700];

	snprintf(p, sizeof(p), "%s/%s", root, name);
	rt_ok(ruhu_replica_open(&r, p, "pw", 2, &o));
	return r;
}

static void cv_sync(ruhu_replica *hub, ruhu_replica *d, const char *id)
{
	ruhu_buf b = RUHU_BUF_INIT, r = RUHU_BUF_INIT;
	ruhu_ingest_report ir;
	ruhu_pull_report pr;

	rt_ok(ruhu_push(&b, NULL, d));
	rt_ok(ruhu_hub_ingest(&ir, hub, b.ptr, b.size, NULL));
	ruhu_ingest_report_dispose(&ir);
	rt_ok(ruhu_hub_reply(&r, hub, id));
	rt_ok(ruhu_pull(&pr, d, r.ptr, r.size));
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&r);
}

static void cv_make_template(void)
{
	ruhu_replica_options o = cv_fast();
	ruhu_replica *hub = NULL, *d[NDEV];
	ruhu_edit *e;
	char p[700], id[RUHU_ID_SIZE], hh[RUHU_ID_SIZE], idn[19];

	snprintf(cv_template, sizeof(cv_template), "%s/template", cv_dir);
	snprintf(p, sizeof(p), "%s/hub", cv_template);
	rt_ok(ruhu_hub_init(&hub, p, "320102", "梅园新村街道人社服务中心", NULL, "pw", 2, &o));
	rt_ok(ruhu_worker_use(hub, "op-01", "李娜"));
	for (int i = 0; i < NDEV; i++) {
		ruhu_buf req = RUHU_BUF_INIT, reply = RUHU_BUF_INIT;
		ruhu_pull_report pr;
		char worker[16], keyid[17];

		snprintf(p, sizeof(p), "%s/%s", cv_template, cv_devs[i]);
		snprintf(worker, sizeof(worker), "w-%02d", i + 1);
		rt_ok(ruhu_device_init(&d[i], p, cv_devs[i], "pw", 2, &o));
		rt_ok(ruhu_enrol_request(&req, d[i]));
		rt_ok(ruhu_hub_enrol(&reply, hub, req.ptr, req.size, worker, worker));
		rt_ok(ruhu_join(&pr, keyid, d[i], reply.ptr, reply.size));
		ruhu_buf_dispose(&req);
		ruhu_buf_dispose(&reply);
	}
	/* the shared records, made on the first tablet */
	rt_ok(ruhu_edit_begin(&e, d[0]));
	for (int i = 0; i < NREC; i++) {
		char ph[12];

		cv_id(hh, 1, i);
		cv_phone(ph);
		{
			ruhu_assign h[] = { { "id", hh }, { "address", "梅园新村" }, { "phone", ph } };

			rt_ok(ruhu_edit_insert(e, "household", h, 3, NULL));
		}
		cv_id(id, 2, i);
		cv_idnumber(idn, (unsigned int)i);
		{
			ruhu_assign v[] = { { "id", id }, { "household_id", hh }, { "name", "张伟" },
					    { "id_number", idn }, { "phone", ph } };

			rt_ok(ruhu_edit_insert(e, "person", v, 5, NULL));
		}
		cv_id(hh, 3, i);
		{
			ruhu_assign a[] = { { "id", hh }, { "person_id", id }, { "item", "emp.assistance" },
					    { "received_at", "2026-11-20T09:00:00+08:00" },
					    { "first_responder", "w-01" }, { "status", "received" } };

			rt_ok(ruhu_edit_insert(e, "application", a, 6, NULL));
		}
	}
	rt_ok(ruhu_edit_commit(e, "shared records", NULL));
	ruhu_edit_free(e);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < NDEV; i++)
			cv_sync(hub, d[i], cv_devs[i]);
	for (int i = 0; i < NDEV; i++)
		ruhu_replica_free(d[i]);
	ruhu_replica_free(hub);
}

/* One random save on a tablet: edits that make every rule fire. */
static void cv_edit(ruhu_replica *d, unsigned int n)
{
	static const char *statuses[] = { "materials_pending", "accepted", "processing", "completed",
					   "rejected", "referred" };
	static const char *employment[] = { "employed", "unemployed", "flexible", "retired" };
	static const char *materials[] = { "id_card", "employment_certificate" };
	static const char *categories[] = { "aged", "disabled", "low_income" };
	ruhu_edit *e = NULL;
	char id[RUHU_ID_SIZE], val[64], idn[19];
	int i = (int)cv_pick(NREC), rc;

	rt_ok(ruhu_edit_begin(&e, d));
	switch (cv_pick(12)) {
	case 0: /* lww */
		cv_id(id, 2, i);
		cv_phone(val);
		{
			ruhu_assign v[] = { { "phone", val } };

			rc = ruhu_edit_update(e, "person", id, v, 1);
		}
		break;
	case 1: /* review */
		cv_id(id, 2, i);
		cv_idnumber(idn, 100 + cv_pick(50));
		{
			ruhu_assign v[] = { { "id_number", idn } };

			rc = ruhu_edit_update(e, "person", id, v, 1);
		}
		break;
	case 2: /* append */
		cv_id(id, 1, i);
		snprintf(val, sizeof(val), "note %u", n);
		{
			ruhu_assign v[] = { { "notes", val } };

			rc = ruhu_edit_update(e, "household", id, v, 1);
		}
		break;
	case 3: /* order */
		cv_id(id, 3, i);
		{
			ruhu_assign v[] = { { "status", statuses[cv_pick(6)] } };

			rc = ruhu_edit_update(e, "application", id, v, 1);
		}
		break;
	case 4: /* union */
		cv_id(id, 3, i);
		{
			ruhu_assign v[] = { { "materials_received", cv_pick(3) ? materials[cv_pick(2)] :
					      "employment_certificate,id_card" } };

			rc = ruhu_edit_update(e, "application", id, v, 1);
		}
		break;
	case 5: /* union on a person */
		cv_id(id, 2, i);
		{
			ruhu_assign v[] = { { "difficulty_category", categories[cv_pick(3)] } };

			rc = ruhu_edit_update(e, "person", id, v, 1);
		}
		break;
	case 6: { /* delete against update */
		int person = (int)cv_pick(2);

		cv_id(id, person ? 2 : 1, i);
		rc = ruhu_edit_delete(e, person ? "person" : "household", id);
		break;
	}
	case 7: /* a new resident, sometimes a duplicate */
		cv_idnumber(idn, cv_pick(2) ? (unsigned int)i : 200 + n);
		{
			ruhu_assign v[] = { { "name", "新登记" }, { "id_number", idn } };

			rc = ruhu_edit_insert(e, "person", v, 2, NULL);
		}
		break;
	case 8: /* several fields of one record */
		cv_id(id, 2, i);
		cv_phone(val);
		{
			ruhu_assign v[] = { { "employment_status", employment[cv_pick(4)] }, { "phone", val },
					    { "notes", "看望" } };

			rc = ruhu_edit_update(e, "person", id, v, 3);
		}
		break;
	case 9: /* result: review */
		cv_id(id, 3, i);
		snprintf(val, sizeof(val), "result %u", n);
		{
			ruhu_assign v[] = { { "result", val } };

			rc = ruhu_edit_update(e, "application", id, v, 1);
		}
		break;
	case 10: /* an application for a resident who may be gone on the hub */
		cv_id(id, 2, i);
		{
			ruhu_assign v[] = { { "person_id", id }, { "item", "ss.card_check" },
					    { "received_at", "2026-11-26T10:00:00+08:00" },
					    { "first_responder", "w-02" } };

			rc = ruhu_edit_insert(e, "application", v, 4, NULL);
		}
		break;
	default: /* household address: lww */
		cv_id(id, 1, i);
		snprintf(val, sizeof(val), "梅园新村 %u 号", n);
		{
			ruhu_assign v[] = { { "address", val } };

			rc = ruhu_edit_update(e, "household", id, v, 1);
		}
		break;
	}
	/* a record deleted locally is gone: that edit is simply not made */
	ck_assert_msg(rc == 0 || rc == RUHU_ENOTFOUND || rc == RUHU_EINVALID, "edit failed: %s",
		      ruhu_error_last());
	rc = ruhu_edit_commit(e, NULL, NULL);
	ck_assert_msg(rc == 0 || rc == RUHU_EINVALID, "save failed: %s", ruhu_error_last());
	ruhu_edit_free(e);
}

struct cv_msg {
	int to;          /* -1: the hub; else the tablet */
	ruhu_buf bytes;
};

static void cv_send(struct cv_msg *net, int *n, int to, ruhu_buf *b)
{
	if (*n == NET_MAX) {
		/* the network is full: the oldest message is lost */
		ruhu_buf_dispose(&net[0].bytes);
		memmove(net, net + 1, sizeof(*net) * (NET_MAX - 1));
		(*n)--;
	}
	net[*n].to = to;
	net[*n].bytes = *b;
	memset(b, 0, sizeof(*b));
	(*n)++;
}

static void cv_deliver(ruhu_replica *hub, ruhu_replica **d, struct cv_msg *m)
{
	int rc;

	if (m->to < 0) {
		ruhu_ingest_report ir;

		rc = ruhu_hub_ingest(&ir, hub, m->bytes.ptr, m->bytes.size, NULL);
		ruhu_ingest_report_dispose(&ir);
	} else {
		ruhu_pull_report pr;

		/* a reply that follows one not pulled yet waits */
		rc = ruhu_pull(&pr, d[m->to], m->bytes.ptr, m->bytes.size);
		if (rc == RUHU_EWAITING)
			rc = 0;
	}
	ck_assert_msg(rc == 0, "delivery failed: %s", ruhu_error_last());
}

static void cv_seed(uint64_t seed, int steps)
{
	char root[512], p[700];
	ruhu_replica *hub, *d[NDEV];
	struct cv_msg net[NET_MAX];
	int nnet = 0;
	ruhu_status hs, ds;

	cv_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	snprintf(root, sizeof(root), "%s/seed", cv_dir);
	cv_copy(cv_template, root);
	hub = cv_open(root, "hub");
	for (int i = 0; i < NDEV; i++)
		d[i] = cv_open(root, cv_devs[i]);
	for (int s = 0; s < steps; s++) {
		unsigned int what = cv_pick(10), k = cv_pick(NDEV);
		ruhu_buf b = RUHU_BUF_INIT;

		if (what < 5) {
			cv_edit(d[k], (unsigned int)s);
		} else if (what < 7) {
			rt_ok(ruhu_push(&b, NULL, d[k]));
			cv_send(net, &nnet, -1, &b);
		} else if (what < 8) {
			rt_ok(ruhu_hub_reply(&b, hub, cv_devs[k]));
			cv_send(net, &nnet, (int)k, &b);
		} else if (nnet) {
			/* deliver a random message; sometimes keep it to deliver
			 * again later (a duplicate), sometimes lose it */
			unsigned int m = cv_pick((unsigned int)nnet), fate = cv_pick(4);

			if (fate)
				cv_deliver(hub, d, &net[m]);
			if (fate != 1) {
				ruhu_buf_dispose(&net[m].bytes);
				net[m] = net[--nnet];
			}
		}
	}
	/* quiet: rounds of sync until no tablet has a pending save */
	for (int round = 0; round < 4; round++)
		for (int i = 0; i < NDEV; i++)
			cv_sync(hub, d[i], cv_devs[i]);
	rt_ok(ruhu_status_get(&hs, hub));
	for (int i = 0; i < NDEV; i++) {
		rt_ok(ruhu_status_get(&ds, d[i]));
		ck_assert_msg(ds.pending == 0, "seed %llu: %s still has %lld pending saves",
			      (unsigned long long)seed, cv_devs[i], (long long)ds.pending);
		ck_assert_msg(!strcmp(ds.digest, hs.digest), "seed %llu: %s's digest %.12s differs from "
			      "the hub's %.12s", (unsigned long long)seed, cv_devs[i], ds.digest, hs.digest);
		ck_assert_str_eq(ds.main, hs.head);
	}
	for (int i = 0; i < nnet; i++)
		ruhu_buf_dispose(&net[i].bytes);
	for (int i = 0; i < NDEV; i++)
		ruhu_replica_free(d[i]);
	ruhu_replica_free(hub);
	snprintf(p, sizeof(p), "%s", root);
	rt_rmrf(p);
}

static void cv_setup(void)
{
	ruhu_init();
	rt_tmpdir(cv_dir, sizeof(cv_dir));
	cv_make_template();
}

static void cv_teardown(void)
{
	rt_rmrf(cv_dir);
}

#endif
