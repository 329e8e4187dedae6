/*
 * test_audit_git.c — stock git on an audit export of the story of
 * test_audit_story.h: every commit `G`, and `ruhu audit log --graph` drawn
 * exactly as `git log --graph` draws the same history (same order, same
 * graph characters line by line), on the hub and on a tablet.  Skipped
 * when git is not installed.
 */
#include "test_audit_story.h"

static struct story s;

static void setup(void)
{
	story_build(&s, 1);
}

static void teardown(void)
{
	story_free(&s);
}

static int have_git(void)
{
	return rt_sh(NULL, "git --version >/dev/null 2>&1") == 0;
}

/* The graph part of a line: everything before the first character that
 * cannot be part of a graph (a commit id's first hex digit). */
static size_t graph_len(const char *line, size_t n)
{
	size_t i = 0;

	while (i < n && strchr(" *|/\\_-.", line[i]))
		i++;
	return i;
}

struct line {
	const char *p;
	size_t n;
};

static size_t split(struct line *out, size_t max, const char *text)
{
	size_t k = 0;

	while (*text && k < max) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);

		out[k].p = text;
		out[k].n = n;
		k++;
		text += n + (nl != NULL);
	}
	return k;
}

/* The lines of both outputs: same graph, and on commit lines the same id. */
static void same_shape(const char *gitout, const char *ruhuout, size_t *commits)
{
	static struct line g[4096], r[4096];
	size_t ng = split(g, 4096, gitout), nr = split(r, 4096, ruhuout);

	*commits = 0;
	ck_assert_uint_gt(ng, 0);
	ck_assert_uint_eq(ng, nr);
	for (size_t i = 0; i < ng; i++) {
		size_t lg = graph_len(g[i].p, g[i].n), lr = graph_len(r[i].p, r[i].n);
		int star = memchr(g[i].p, '*', lg) != NULL;

		ck_assert_msg(lg == lr && !memcmp(g[i].p, r[i].p, lg), "line %zu differs:\ngit:  %.*s\nruhu: %.*s", i + 1,
			      (int)g[i].n, g[i].p, (int)r[i].n, r[i].p);
		if (!star) {
			ck_assert_uint_eq(lg, g[i].n); /* nothing but graph */
			continue;
		}
		(*commits)++;
		ck_assert_uint_eq(g[i].n - lg, 40);
		ck_assert_msg(r[i].n - lr > 12 && !memcmp(g[i].p + lg, r[i].p + lr, 12), "line %zu: other commit",
			      i + 1);
	}
}

static void compare(const char *replica, const char *refs)
{
	char out[512], *gitout = NULL, *ruhuout = NULL, *sig = NULL, *count = NULL;
	size_t commits;

	rt_path(out, sizeof(out), s.dir, "export");
	rt_rmrf(out);
	ck_assert_int_eq(rt_sh(NULL, "RUHU_PASSPHRASE=pw '%s' -C '%s/%s' audit export '%s' >/dev/null 2>&1", rt_bin(),
			       s.dir, replica, out), 0);
	ck_assert_int_eq(rt_sh(&gitout, "HOME='%s' GIT_CONFIG_NOSYSTEM=1 git -C '%s' -c core.commitGraph=false log "
			       "--graph --format=%%H %s", s.dir, out, refs), 0);
	ck_assert_int_eq(rt_sh(&ruhuout, "RUHU_PASSPHRASE=pw '%s' -C '%s/%s' audit log --graph", rt_bin(), s.dir,
			       replica), 0);
	same_shape(gitout, ruhuout, &commits);
	ck_assert_uint_gt(commits, 10);
	/* a merge opens a line and lines join again: the shape is not trivial */
	ck_assert_ptr_nonnull(strstr(gitout, "|\\"));
	ck_assert_ptr_nonnull(strstr(gitout, "|/"));

	/* stock git: every signature good, with the export's allowed_signers */
	ck_assert_int_eq(rt_sh(&sig, "HOME='%s' GIT_CONFIG_NOSYSTEM=1 git -C '%s' log --format=%%G? --all | "
			       "grep -vc '^G$'", s.dir, out), 1); /* grep -c of nothing exits 1 */
	ck_assert_str_eq(sig, "0\n");
	ck_assert_int_eq(rt_sh(&count, "HOME='%s' GIT_CONFIG_NOSYSTEM=1 git -C '%s' rev-list --all --count", s.dir,
			       out), 0);
	ck_assert_uint_ge((size_t)strtoul(count, NULL, 10), commits);
	free(gitout);
	free(ruhuout);
	free(sig);
	free(count);
}

START_TEST(test_audit_git_hub_graph_and_signatures)
{
	if (!have_git())
		return;
	compare("hub", "");
}
END_TEST

START_TEST(test_audit_git_tablet_graph)
{
	if (!have_git())
		return;
	/* a save not yet pushed: the tablet's branch and the hub main differ */
	story_set(s.a, "person", s.person, "notes", "三楼");
	compare("tab-01", "device remotes/hub/main");
}
END_TEST

START_TEST(test_audit_git_filtered_graph_stays_connected)
{
	char *ruhuout = NULL;
	size_t stars = 0;

	ck_assert_int_eq(rt_sh(&ruhuout, "RUHU_PASSPHRASE=pw '%s' -C '%s/hub' audit log --graph --device tab-02",
			       rt_bin(), s.dir), 0);
	for (const char *p = ruhuout; *p; p++)
		stars += *p == '*';
	ck_assert_uint_eq(stars, 4); /* two saves of tab-02 and their merges */
	ck_assert_ptr_nonnull(strstr(ruhuout, "|\\"));
	ck_assert_ptr_nonnull(strstr(ruhuout, "merge      tab-02"));
	ck_assert_ptr_null(strstr(ruhuout, "tab-01 "));
	free(ruhuout);
}
END_TEST

Suite *audit_git_suite(void)
{
	Suite *su = suite_create("audit_git");
	TCase *tc = tcase_create("audit_git");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_audit_git_hub_graph_and_signatures);
	tcase_add_test(tc, test_audit_git_tablet_graph);
	tcase_add_test(tc, test_audit_git_filtered_graph_stays_connected);
	suite_add_tcase(su, tc);
	return su;
}
