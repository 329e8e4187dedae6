/*
 * test_archive.c — the archive package of closed cases (sync/archive*.c) on
 * the hub of the story of test_audit_story.h: a round trip through
 * `archive verify`; a byte flipped in any file of the package, a file
 * missing and a file added are each found; the export is a signed event in
 * the history; refusals leave nothing behind.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "test_audit_story.h"

static struct story s;
static char pkg[512];

static void setup(void)
{
	story_build(&s, 1);
	rt_path(pkg, sizeof(pkg), s.dir, "package");
}

static void teardown(void)
{
	story_free(&s);
}

static void export_ok(ruhu_archive_report *rep)
{
	ruhu_archive_opts o = RUHU_ARCHIVE_OPTS_INIT;

	o.closed_before = "2026-03-03";
	rt_ok(ruhu_archive_export(rep, s.hub, pkg, &o));
}

/* The paths the manifest lists, and the manifest itself. */
static size_t package_files(char paths[][256], size_t max)
{
	char file[1024];
	size_t len, n = 0;
	unsigned char *text;
	const char *p;

	snprintf(file, sizeof(file), "%s/manifest-sha256.txt", pkg);
	text = rt_read_file(file, &len);
	for (p = (const char *)text; p < (const char *)text + len && n < max;) {
		const char *nl = memchr(p, '\n', (size_t)((const char *)text + len - p));

		ck_assert_ptr_nonnull(nl);
		snprintf(paths[n++], 256, "%.*s", (int)(nl - p - 66), p + 66);
		p = nl + 1;
	}
	free(text);
	snprintf(paths[n++], 256, "manifest-sha256.txt");
	return n;
}

START_TEST(test_archive_round_trip)
{
	ruhu_archive_report rep;
	ruhu_archive_check chk;
	char file[1024];
	unsigned char *csv;
	size_t len;

	export_ok(&rep);
	ck_assert_uint_eq(rep.records, 3);
	ck_assert_uint_eq(rep.applications, 1);
	ck_assert_uint_eq(rep.disputes, 1);
	ck_assert_uint_eq(rep.complaints, 1);
	ck_assert_uint_eq(rep.attachments, 1);
	ck_assert_uint_eq(rep.files, 7); /* 3 records, 1 attachment, 2 catalogues, README */
	ck_assert_int_eq((int)strlen(rep.manifest_sha256), 64);

	rt_ok(ruhu_archive_verify(&chk, pkg, NULL));
	ck_assert_uint_eq(chk.files, rep.files);
	ck_assert_uint_eq(chk.bytes, rep.bytes);
	ck_assert_uint_eq(chk.records, 3);
	ck_assert_str_eq(chk.manifest_sha256, rep.manifest_sha256);
	ck_assert_str_eq(chk.commit, "");
	/* with the hub: its history records this manifest */
	rt_ok(ruhu_archive_verify(&chk, pkg, s.hub));
	ck_assert_str_eq(chk.commit, rep.commit);

	/* the catalogue: codes, the closed cases only, the resident */
	snprintf(file, sizeof(file), "%s/catalogue.csv", pkg);
	csv = rt_read_file(file, &len);
	ck_assert_ptr_nonnull(strstr((char *)csv, "320102-2026-application-0001,application,"));
	ck_assert_ptr_nonnull(strstr((char *)csv, "320102-2026-dispute-0001,dispute,"));
	ck_assert_ptr_nonnull(strstr((char *)csv, "320102-2026-complaint-0001,complaint,"));
	ck_assert_ptr_nonnull(strstr((char *)csv, s.app_done));
	ck_assert_ptr_null(strstr((char *)csv, s.app_open));
	ck_assert_ptr_nonnull(strstr((char *)csv, "张伟"));
	free(csv);
	/* the attachment's bytes, under its MIME type's extension */
	snprintf(file, sizeof(file), "%s/attachments/320102-2026-application-0001/%s.jpg", pkg, s.attachment);
	ck_assert(rt_exists(file));
	ck_assert_uint_eq(rt_count_in_file(file, "JFIF"), 1);
	/* the full history is in the case's file */
	snprintf(file, sizeof(file), "%s/records/320102-2026-application-0001.json", pkg);
	ck_assert_uint_eq(rt_count_in_file(file, "\"op\": \"insert\""), 1);
	ck_assert_uint_eq(rt_count_in_file(file, "\"op\": \"update\""), 1);
	ck_assert_uint_eq(rt_count_in_file(file, "\"device\": \"tab-01\""), 1);
	ck_assert_uint_eq(rt_count_in_file(file, "\"worker\": \"op-01\""), 1);
}
END_TEST

START_TEST(test_archive_any_flipped_byte_is_found)
{
	ruhu_archive_report rep;
	ruhu_archive_check chk;
	char paths[32][256];
	size_t n;

	export_ok(&rep);
	n = package_files(paths, 31);
	ck_assert_uint_eq(n, 8);
	for (size_t i = 0; i < n; i++) {
		char file[1024];
		unsigned char *data;
		size_t len;

		ck_assert_uint_lt(strlen(pkg) + strlen(paths[i]) + 2, sizeof(file));
		memcpy(file, pkg, strlen(pkg));
		file[strlen(pkg)] = '/';
		memcpy(file + strlen(pkg) + 1, paths[i], strlen(paths[i]) + 1);
		data = rt_read_file(file, &len);
		ck_assert_uint_gt(len, 0);
		for (size_t at = 0; at < len; at += len / 3 + 1) {
			data[at] ^= 0x01;
			rt_write_file(file, data, len);
			ck_assert_msg(ruhu_archive_verify(&chk, pkg, NULL) == RUHU_ECORRUPT,
				      "a byte flipped at %zu of %s was not found", at, paths[i]);
			if (strcmp(paths[i], "manifest-sha256.txt"))
				ck_assert_msg(strstr(ruhu_error_last(), paths[i]) != NULL, "%s does not name %s",
					      ruhu_error_last(), paths[i]);
			data[at] ^= 0x01;
		}
		rt_write_file(file, data, len);
		free(data);
	}
	rt_ok(ruhu_archive_verify(&chk, pkg, NULL));
}
END_TEST

START_TEST(test_archive_missing_and_extra_files_are_found)
{
	ruhu_archive_report rep;
	ruhu_archive_check chk;
	char file[1024], moved[600];

	export_ok(&rep);
	snprintf(file, sizeof(file), "%s/records/320102-2026-dispute-0001.json", pkg);
	snprintf(moved, sizeof(moved), "%s/dispute.json", s.dir);
	ck_assert_int_eq(rename(file, moved), 0);
	ck_assert_int_eq(ruhu_archive_verify(&chk, pkg, NULL), RUHU_ECORRUPT);
	ck_assert_str_eq(ruhu_error_last(), "file records/320102-2026-dispute-0001.json, listed in the manifest, "
					    "is missing");
	ck_assert_int_eq(rename(moved, file), 0);
	rt_ok(ruhu_archive_verify(&chk, pkg, NULL));

	snprintf(file, sizeof(file), "%s/records/320102-2026-dispute-0002.json", pkg);
	rt_write_file(file, "{}\n", 3);
	ck_assert_int_eq(ruhu_archive_verify(&chk, pkg, NULL), RUHU_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "file records/320102-2026-dispute-0002.json is not listed "
							"in the manifest"));
	unlink(file);
	snprintf(file, sizeof(file), "%s/attachments/x", pkg);
	ck_assert_int_eq(symlink("/etc/passwd", file), 0);
	ck_assert_int_eq(ruhu_archive_verify(&chk, pkg, NULL), RUHU_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "attachments/x in the package is not a regular file"));
	unlink(file);
	/* no manifest: not a package */
	snprintf(file, sizeof(file), "%s/manifest-sha256.txt", pkg);
	unlink(file);
	ck_assert_int_eq(ruhu_archive_verify(&chk, pkg, NULL), RUHU_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "has no manifest-sha256.txt"));
}
END_TEST

static int first_entry(const ruhu_audit_entry *e, void *p)
{
	snprintf(p, 128, "%s|%c|%s", e->kind, e->commit.sig, e->archive);
	return 1;
}

START_TEST(test_archive_export_is_an_event_in_the_history)
{
	ruhu_archive_report rep;
	char first[128], want[128];

	export_ok(&rep);
	rt_ok(ruhu_audit_log(s.hub, NULL, first_entry, first) == 1 ? 0 : -1);
	snprintf(want, sizeof(want), "archive|G|3 records, manifest %s", rep.manifest_sha256);
	ck_assert_str_eq(first, want);
	/* the event changed no record: the history still verifies */
	{
		ruhu_audit_verify_report vr;

		rt_ok(ruhu_audit_verify(&vr, s.hub, NULL));
		ruhu_audit_verify_report_dispose(&vr);
	}
}
END_TEST

START_TEST(test_archive_refusals_leave_nothing)
{
	ruhu_archive_opts o = RUHU_ARCHIVE_OPTS_INIT;
	ruhu_archive_report rep;
	ruhu_archive_check chk;
	ruhu_status before, after;
	char file[1024];

	rt_ok(ruhu_status_get(&before, s.hub));
	/* nothing closed before that day */
	o.closed_before = "2026-03-01";
	ck_assert_int_eq(ruhu_archive_export(&rep, s.hub, pkg, &o), RUHU_ENOTFOUND);
	ck_assert(!rt_exists(pkg));
	o.closed_before = "not a date";
	ck_assert_int_eq(ruhu_archive_export(&rep, s.hub, pkg, &o), RUHU_EINVALID);
	o.closed_before = NULL;
	ck_assert_int_eq(ruhu_archive_export(&rep, s.hub, pkg, &o), RUHU_EINVALID);
	/* a tablet has no archive to give */
	o.closed_before = "2026-03-03";
	ck_assert_int_eq(ruhu_archive_export(&rep, s.a, pkg, &o), RUHU_EINVALID);
	ck_assert(!rt_exists(pkg));
	/* a folder with something in it */
	ck_assert_int_eq(mkdir(pkg, 0700), 0);
	snprintf(file, sizeof(file), "%s/keep.txt", pkg);
	rt_write_file(file, "x", 1);
	ck_assert_int_eq(ruhu_archive_export(&rep, s.hub, pkg, &o), RUHU_EEXISTS);
	ck_assert_int_eq(ruhu_archive_verify(&chk, pkg, NULL), RUHU_ECORRUPT);
	rt_ok(ruhu_status_get(&after, s.hub));
	ck_assert_str_eq(before.head, after.head); /* no event recorded */
	/* an empty folder is fine */
	unlink(file);
	rt_ok(ruhu_archive_export(&rep, s.hub, pkg, &o));
	/* a package the hub did not record */
	{
		char other[512];

		rt_path(other, sizeof(other), s.dir, "other");
		ck_assert_int_eq(rt_sh(NULL, "cp -r '%s' '%s' && printf x >> '%s/README.txt' && cd '%s' && "
				       "sha256sum README.txt attachments/*/* catalogue.* records/* > manifest-sha256.txt",
				       pkg, other, other, other), 0);
		rt_ok(ruhu_archive_verify(&chk, other, NULL));
		ck_assert_int_eq(ruhu_archive_verify(&chk, other, s.hub), RUHU_ECORRUPT);
		ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "no archive event on the hub's main records manifest"));
	}
}
END_TEST

Suite *archive_suite(void)
{
	Suite *su = suite_create("archive");
	TCase *tc = tcase_create("archive");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_archive_round_trip);
	tcase_add_test(tc, test_archive_any_flipped_byte_is_found);
	tcase_add_test(tc, test_archive_missing_and_extra_files_are_found);
	tcase_add_test(tc, test_archive_export_is_an_event_in_the_history);
	tcase_add_test(tc, test_archive_refusals_leave_nothing);
	suite_add_tcase(su, tc);
	return su;
}
