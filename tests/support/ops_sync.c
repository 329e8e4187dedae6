/*
 * ops_sync.c — the operations of harness.h on a township's replicas (sync/):
 * a save on a joined tablet, a hub merge of a tablet's bundle, and a
 * tablet's pull that rebases its pending saves.  They start from the
 * township template (ops_sync_template.c) and are compared by the states of
 * ops_sync_state.c.
 *
 * Design notes
 *  1. "Exactly before or exactly after" needs an operation that makes the
 *     same bytes every time: each run sets the replica's wall clock to a
 *     fixed time (commit times, HLC, review and bundle times), and record
 *     ids that a save makes itself (an attachment's) come from a counter:
 *     the test programs are linked with --wrap=ruhu_uuid_v7 (only the call
 *     from core/edit.c is wrapped; out of a run it passes through).
 */
#include <string.h>

#include "core/uuid.h"
#include "support/ops_sync_int.h"

/* ---- determinism (design note 1) ---- */

static struct {
	int on;
	uint64_t ids;
} det;

static int64_t fixed_clock(void *payload)
{
	(void)payload;
	return RUN_MS;
}

void __real_ruhu_uuid_v7(char out[RUHU_UUID_TEXT_LEN + 1]);
void __wrap_ruhu_uuid_v7(char out[RUHU_UUID_TEXT_LEN + 1]);

void __wrap_ruhu_uuid_v7(char out[RUHU_UUID_TEXT_LEN + 1])
{
	unsigned char b[16];
	uint64_t ms = (uint64_t)RUN_MS, n;

	if (!det.on) {
		__real_ruhu_uuid_v7(out);
		return;
	}
	n = ++det.ids;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (8 * (5 - i)));
	b[6] = 0x70;
	b[7] = 0;
	b[8] = 0x80;
	for (int i = 9; i < 16; i++)
		b[i] = (unsigned char)(n >> (8 * (15 - i)));
	ruhu_uuid_format(out, b);
}

/*
 * Start a run: the fixed clock, ids from 1; and the object store opened
 * with libgit2's allocations not counted: libgit2 1.5.1 crashes in
 * git_repository_wrap_odb when one of its own first allocations fails
 * (docs/testing.md, as rt_op_pack does).  The other sites count it.
 */
static int det_begin(ruhu_replica *r)
{
	git_repository *repo;
	unsigned saved;
	int error;

	r->clock.now_ms = fixed_clock;
	r->clock.payload = NULL;
	det.on = 1;
	det.ids = 0;
	saved = rt_fault_mask(RT_SITE_GIT);
	error = ruhu_replica_repo(&repo, r);
	rt_fault_unmask(saved);
	return error;
}

static void det_end(void)
{
	det.on = 0;
}

/*
 * libgit2 1.5.1 crashes when some of its own allocations fail: inside
 * git_graph_descendant_of (its merge-base search goes on with a commit it
 * could not record) and inside git_revwalk_next.  The test programs are
 * linked with --wrap for both (tests/CMakeLists.txt): their allocations are
 * not counted, as for opening the object store (docs/testing.md).  Every
 * other site counts them.
 */
int __real_git_graph_descendant_of(git_repository *repo, const git_oid *commit,
				   const git_oid *ancestor);
int __wrap_git_graph_descendant_of(git_repository *repo, const git_oid *commit,
				   const git_oid *ancestor);
int __real_git_revwalk_next(git_oid *out, git_revwalk *walk);
int __wrap_git_revwalk_next(git_oid *out, git_revwalk *walk);

int __wrap_git_graph_descendant_of(git_repository *repo, const git_oid *commit,
				   const git_oid *ancestor)
{
	unsigned saved = rt_fault_mask(RT_SITE_GIT);
	int rc = __real_git_graph_descendant_of(repo, commit, ancestor);

	rt_fault_unmask(saved);
	return rc;
}

int __wrap_git_revwalk_next(git_oid *out, git_revwalk *walk)
{
	unsigned saved = rt_fault_mask(RT_SITE_GIT);
	int rc = __real_git_revwalk_next(out, walk);

	rt_fault_unmask(saved);
	return rc;
}

/* ---- a save on a joined tablet ---- */

static void setup_tablet(const char *dir, const struct rt_op *op)
{
	rt_sync_template();
	rt_sync_setup_from(rt_sync_tpl.tablet_base, dir, op);
}

static int save_update(ruhu_edit *e, const char *type, const char *id, const char *field,
		       const char *value)
{
	ruhu_assign v[] = { { field, value } };

	return ruhu_edit_update(e, type, id, v, 1);
}

static int run_save(struct rt_run *run)
{
	static unsigned char jpeg[20000];
	ruhu_edit *e = NULL;
	char idn[19];
	int error;

	if ((error = det_begin(run->r)) < 0)
		goto done;
	rt_sync_photo(jpeg, sizeof(jpeg), 2);
	rt_sync_idnumber(idn, 40);
	{
		ruhu_assign h[] = { { "id", ID(41) }, { "address", "梅园新村 4 号" }, { "village", "梅园" },
				    { "phone", "13800000041" } };
		ruhu_assign p[] = { { "id", ID(42) }, { "household_id", ID(41) }, { "name", "周杰" },
				    { "id_number", idn }, { "gender", "male" },
				    { "employment_status", "flexible" } };
		ruhu_assign q[] = { { "id", ID(43) }, { "household_id", ID(41) }, { "name", "周梅" } };
		ruhu_assign a[] = { { "id", ID(44) }, { "person_id", ID(42) }, { "item", "emp.assistance" },
				    { "received_at", "2026-11-28T09:30:00+08:00" },
				    { "first_responder", "w-01" }, { "status", "received" } };

		if ((error = ruhu_edit_begin(&e, run->r)) < 0 ||
		    (error = ruhu_edit_insert(e, "household", h, 4, NULL)) < 0 ||
		    (error = ruhu_edit_insert(e, "person", p, 6, NULL)) < 0 ||
		    (error = ruhu_edit_insert(e, "person", q, 3, NULL)) < 0 ||
		    (error = ruhu_edit_insert(e, "application", a, 6, NULL)) < 0 ||
		    (error = save_update(e, "person", P1, "phone", "13500000005")) < 0 ||
		    (error = save_update(e, "person", P2, "notes", "已电话联系")) < 0 ||
		    (error = ruhu_edit_delete(e, "application", AP2)) < 0 ||
		    (error = ruhu_edit_attach(e, "household", ID(41), jpeg, sizeof(jpeg), "门牌", NULL)) < 0 ||
		    (error = ruhu_edit_commit(e, "a visit's save", NULL)) < 0)
			goto done;
	}
done:
	ruhu_edit_free(e);
	det_end();
	return error;
}

const struct rt_op rt_op_save = {
	.name = "save",
	.setup = setup_tablet,
	.run = run_save,
	.state = rt_state_tablet,
};

const struct rt_op rt_op_save_delete = {
	.name = "save (delete)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE },
	.setup = setup_tablet,
	.run = run_save,
	.state = rt_state_tablet,
};

/* ---- a hub merge of a bundle ---- */

static void setup_hub(const char *dir, const struct rt_op *op)
{
	rt_sync_template();
	rt_sync_setup_from(rt_sync_tpl.hub_base, dir, op);
}

static int run_merge(struct rt_run *run)
{
	ruhu_ingest_report rep;
	int error;

	memset(&rep, 0, sizeof(rep));
	if ((error = det_begin(run->r)) == 0)
		error = ruhu_hub_ingest(&rep, run->r, rt_sync_tpl.bundle_a.ptr, rt_sync_tpl.bundle_a.size,
					NULL);
	if (error == 0 && (rep.commits != 2 || rep.reviews == 0))
		error = ruhu_error_set(RUHU_ERROR, "the merge took %zu commits and opened %zu review items",
				       rep.commits, rep.reviews);
	ruhu_ingest_report_dispose(&rep);
	det_end();
	return error;
}

const struct rt_op rt_op_save_spill = {
	.name = "save (delete, cache spill)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE, .cache_kib = 32 },
	.setup = setup_tablet,
	.run = run_save,
	.state = rt_state_tablet,
};

const struct rt_op rt_op_merge = {
	.name = "merge",
	.setup = setup_hub,
	.run = run_merge,
	.state = rt_state_hub,
};

const struct rt_op rt_op_merge_delete = {
	.name = "merge (delete)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE },
	.setup = setup_hub,
	.run = run_merge,
	.state = rt_state_hub,
};

const struct rt_op rt_op_merge_spill = {
	.name = "merge (delete, cache spill)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE, .cache_kib = 32 },
	.setup = setup_hub,
	.run = run_merge,
	.state = rt_state_hub,
};

/* ---- a tablet's pull with a rebase ---- */

static int run_pull(struct rt_run *run)
{
	ruhu_pull_report rep;
	int error;

	if ((error = det_begin(run->r)) == 0)
		error = ruhu_pull(&rep, run->r, rt_sync_tpl.reply_a.ptr, rt_sync_tpl.reply_a.size);
	if (error == 0 && (rep.acknowledged != 2 || rep.redone != 1 || rep.main_commits < 4))
		error = ruhu_error_set(RUHU_ERROR, "the pull applied %zu main commits, dropped %zu saves "
				       "and redid %zu", rep.main_commits, rep.acknowledged, rep.redone);
	det_end();
	return error;
}

const struct rt_op rt_op_pull = {
	.name = "pull",
	.setup = setup_tablet,
	.run = run_pull,
	.state = rt_state_tablet,
};

const struct rt_op rt_op_pull_delete = {
	.name = "pull (delete)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE },
	.setup = setup_tablet,
	.run = run_pull,
	.state = rt_state_tablet,
};

const struct rt_op rt_op_pull_spill = {
	.name = "pull (delete, cache spill)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE, .cache_kib = 32 },
	.setup = setup_tablet,
	.run = run_pull,
	.state = rt_state_tablet,
};
