/*
 * archive_write.c — the files of an archive package and the signed save
 * that records it (`ruhu archive export`; the cases and their histories
 * are gathered in archive.c).
 *
 * Design notes
 *  1. Order of work: every case's JSON and attachments, the two catalogues,
 *     README.txt, then the manifest over all of them (read back from disk),
 *     then the save on main.  Any failure removes what was written.
 *  2. The save is empty (it changes no record) and carries the trailer
 *     `Ruhu-Archive: <n> records, manifest <sha256>`, so the export is an
 *     event of the signed history (`audit log` shows it), and `archive
 *     verify -C HUB` can tie a package to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/edit.h"
#include "core/identity.h"
#include "core/meta.h"
#include "core/refs.h"
#include "core/when.h"
#include "schema/schema_db.h"
#include "sync/archive.h"
#include "sync/hub.h"

int ruhu_archive_opts_init(ruhu_archive_opts *opts, unsigned int version)
{
	if (version != RUHU_ARCHIVE_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "archive options version %u is not known", version);
	memset(opts, 0, sizeof(*opts));
	opts->version = version;
	return 0;
}

static char *person_name(sqlite3 *db, const char *id)
{
	sqlite3_stmt *st = NULL;
	char *name = NULL;

	if (id && sqlite3_prepare_v2(db, "SELECT name FROM person WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			name = strdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return name;
}

/* One case: records/<code>.json, its attachments, its catalogue lines. */
static int write_case(struct archive *a, struct kase *k, ruhu_buf *csv, ruhu_buf *xml, size_t *natt)
{
	const ruhu_type *t = ruhu_schema_type_byname(a->c.schema, k->type);
	ruhu_buf doc = RUHU_BUF_INIT, rel = RUHU_BUF_INIT, label = RUHU_BUF_INIT, atts = RUHU_BUF_INIT;
	struct jw j;
	char closed[RUHU_DATETIME_SIZE], year[8], versions[24], count[24];
	char *name = person_name(a->c.db, k->person);
	size_t n = 0;
	int error;

	ruhu_when_datetime(closed, k->last * 1000, a->c.tz);
	snprintf(year, sizeof(year), "%d", k->year);
	snprintf(versions, sizeof(versions), "%zu", k->versions);
	if ((error = ruhu_buf_printf(&rel, "records/%s.json", k->code)) < 0 ||
	    (error = ruhu_buf_printf(&label, "%s / %s", t ? ruhu_type_label(t, RUHU_LANG_ZH) : k->type,
				     t ? ruhu_type_label(t, RUHU_LANG_EN) : k->type)) < 0)
		goto done;
	jw_init(&j, &doc);
	jw_begin(&j, '{');
	jw_kstr(&j, "archive_code", k->code);
	jw_kstr(&j, "centre", a->centre.ptr);
	jw_kstr(&j, "centre_name", a->centre_name.ptr);
	jw_kstr(&j, "type", k->type);
	jw_kstr(&j, "type_label", label.ptr);
	jw_kstr(&j, "id", k->id);
	jw_kstr(&j, "status", k->status);
	jw_kstr(&j, "title", k->title);
	jw_kstr(&j, "opened", k->opened);
	jw_kstr(&j, "closed", closed);
	jw_kint(&j, "year", k->year);
	jw_kstr(&j, "hub_main", a->main);
	jw_key(&j, "record");
	if ((error = archive_row_json(&j, a->c.db, k->type, k->id)) < 0)
		goto done;
	jw_key(&j, "person");
	if ((error = archive_row_json(&j, a->c.db, "person", k->person)) < 0)
		goto done;
	jw_key(&j, "history");
	jw_raw_array(&j, &k->history);
	if ((error = archive_attachments(a, k, &j, &atts, &n)) < 0)
		goto done;
	jw_end(&j, '}');
	if (j.failed || ruhu_buf_putc(&doc, '\n') < 0) {
		error = RUHU_ENOMEM;
		goto done;
	}
	if ((error = archive_out_write(&a->o, rel.ptr, doc.ptr, doc.size)) < 0)
		goto done;
	*natt += n;
	snprintf(count, sizeof(count), "%zu", n);
	if ((error = csv_field(csv, k->code, 0)) < 0 || (error = csv_field(csv, k->type, 0)) < 0 ||
	    (error = csv_field(csv, k->id, 0)) < 0 || (error = csv_field(csv, k->title, 0)) < 0 ||
	    (error = csv_field(csv, k->status, 0)) < 0 || (error = csv_field(csv, k->person, 0)) < 0 ||
	    (error = csv_field(csv, name, 0)) < 0 || (error = csv_field(csv, k->opened, 0)) < 0 ||
	    (error = csv_field(csv, closed, 0)) < 0 || (error = csv_field(csv, year, 0)) < 0 ||
	    (error = csv_field(csv, versions, 0)) < 0 || (error = csv_field(csv, count, 0)) < 0 ||
	    (error = csv_field(csv, rel.ptr, 1)) < 0)
		goto done;
	if ((error = ruhu_buf_puts(xml, "  <record code=\"")) < 0 || (error = xml_text(xml, k->code)) < 0 ||
	    (error = ruhu_buf_printf(xml, "\" type=\"%s\" id=\"", k->type)) < 0 || (error = xml_text(xml, k->id)) < 0 ||
	    (error = ruhu_buf_puts(xml, "\" status=\"")) < 0 || (error = xml_text(xml, k->status)) < 0 ||
	    (error = ruhu_buf_printf(xml, "\" year=\"%d\" opened=\"", k->year)) < 0 ||
	    (error = xml_text(xml, k->opened)) < 0 ||
	    (error = ruhu_buf_printf(xml, "\" closed=\"%s\" versions=\"%zu\" file=\"", closed, k->versions)) < 0 ||
	    (error = xml_text(xml, rel.ptr)) < 0 || (error = ruhu_buf_puts(xml, "\">\n    <title>")) < 0 ||
	    (error = xml_text(xml, k->title)) < 0 || (error = ruhu_buf_puts(xml, "</title>\n")) < 0)
		goto done;
	if (k->person && ((error = ruhu_buf_puts(xml, "    <person id=\"")) < 0 ||
			  (error = xml_text(xml, k->person)) < 0 || (error = ruhu_buf_puts(xml, "\">")) < 0 ||
			  (error = xml_text(xml, name)) < 0 || (error = ruhu_buf_puts(xml, "</person>\n")) < 0))
		goto done;
	if ((error = ruhu_buf_put(xml, atts.ptr ? atts.ptr : "", atts.size)) < 0 ||
	    (error = ruhu_buf_puts(xml, "  </record>\n")) < 0)
		goto done;
done:
	free(name);
	ruhu_buf_dispose(&doc);
	ruhu_buf_dispose(&rel);
	ruhu_buf_dispose(&label);
	ruhu_buf_dispose(&atts);
	return error;
}

static int write_readme(struct archive *a, const char *cutoff, size_t n)
{
	ruhu_buf t = RUHU_BUF_INIT;
	int error;

	error = ruhu_buf_printf(&t,
		"Archive package of closed cases (档案移交包)\r\n"
		"============================================\r\n"
		"\r\n"
		"Centre:        %s %s\r\n"
		"Cases:         %zu, whose last change was made before %s\r\n"
		"Hub history:   main %s\r\n"
		"Made by:       ruhu %s (`ruhu archive export`), DOMAIN clause 6.3, GB/T 18894 style\r\n"
		"\r\n"
		"PERSONAL DATA IN CLEAR. This package holds residents' records, histories and\r\n"
		"attachments unencrypted. Keep it on protected storage and hand it over only\r\n"
		"to the archive; do not copy it elsewhere.\r\n"
		"\r\n"
		"Contents\r\n"
		"  catalogue.csv          one line per case (UTF-8, RFC 4180): archive code, type,\r\n"
		"                         id, title, status, resident, opened, closed, year,\r\n"
		"                         versions, attachments, file\r\n"
		"  catalogue.xml          the same catalogue as XML\r\n"
		"  records/CODE.json      the case as it is, its resident, and its full history:\r\n"
		"                         every version with who, when, device, visit, the\r\n"
		"                         tablet's save it arrived in and the rules that decided\r\n"
		"  attachments/CODE/      its photos and scans (file name: attachment id and the\r\n"
		"                         extension of its media type; .bin when unknown)\r\n"
		"  manifest-sha256.txt    the SHA-256 of every other file\r\n"
		"\r\n"
		"Archive codes are CENTRE-YEAR-TYPE-NUMBER: the year the case's last change was\r\n"
		"made, a number per year and type.\r\n"
		"\r\n"
		"Checking it\r\n"
		"  sha256sum -c manifest-sha256.txt     (in this folder; every line must say OK)\r\n"
		"  ruhu archive verify DIR              (also: no file missing, none added)\r\n"
		"  ruhu -C HUB archive verify DIR       (also: the hub's signed history records\r\n"
		"                                        this manifest: trailer Ruhu-Archive)\r\n",
		a->centre.ptr, a->centre_name.ptr, n, cutoff, a->main[0] ? a->main : "(none)", RUHU_VERSION);
	if (error == 0)
		error = archive_out_write(&a->o, "README.txt", t.ptr, t.size);
	ruhu_buf_dispose(&t);
	return error;
}

static int path_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The manifest over every file written (design note 1). */
static int write_manifest(struct archive *a, char sha[65], size_t *files, uint64_t *bytes)
{
	char **paths = NULL;
	ruhu_buf text = RUHU_BUF_INIT, full = RUHU_BUF_INIT;
	size_t n = a->o.npaths;
	int error = 0;

	*bytes = 0;
	if ((paths = malloc((n ? n : 1) * sizeof(*paths))) == NULL)
		return ruhu_error_oom();
	memcpy(paths, a->o.paths, n * sizeof(*paths));
	qsort(paths, n, sizeof(*paths), path_cmp);
	for (size_t i = 0; i < n; i++) {
		char h[65];
		uint64_t size;

		ruhu_buf_clear(&full);
		if ((error = ruhu_buf_printf(&full, "%s/%s", a->o.dir, paths[i])) < 0 ||
		    (error = archive_sha256_file(h, &size, full.ptr)) < 0 ||
		    (error = ruhu_buf_printf(&text, "%s  %s\n", h, paths[i])) < 0)
			goto done;
		*bytes += size;
	}
	*files = n;
	if ((error = archive_out_write(&a->o, ARCHIVE_MANIFEST, text.ptr ? text.ptr : "", text.size)) < 0)
		goto done;
	archive_sha256_hex(sha, text.ptr ? text.ptr : "", text.size);
done:
	free(paths);
	ruhu_buf_dispose(&text);
	ruhu_buf_dispose(&full);
	return error;
}

/* Design note 2: the export as a signed save on main. */
static int record_event(struct archive *a, const char *cutoff, size_t n, const char *sha, ruhu_save_info *info)
{
	ruhu_edit *e = NULL;
	ruhu_buf value = RUHU_BUF_INIT, subject = RUHU_BUF_INIT;
	ruhu_trailer tr;
	int error;

	if ((error = ruhu_buf_printf(&value, "%zu records, manifest %s", n, sha)) < 0 ||
	    (error = ruhu_buf_printf(&subject, "archive %zu closed %s (last change before %s)", n,
				     n == 1 ? "case" : "cases", cutoff)) < 0 ||
	    (error = ruhu_edit_begin(&e, a->c.r)) < 0)
		goto done;
	tr.key = "Ruhu-Archive";
	tr.value = value.ptr;
	e->trailers = &tr;
	e->ntrailers = 1;
	e->allow_empty = 1;
	error = ruhu_edit_commit(e, subject.ptr, info);
done:
	ruhu_edit_free(e);
	ruhu_buf_dispose(&value);
	ruhu_buf_dispose(&subject);
	return error;
}

static int load_catalogue(struct archive *a)
{
	int error = ruhu_catalogue_load_db(&a->cat, a->c.db);

	if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = ruhu_catalogue_load_default(&a->cat);
	}
	return error;
}

int ruhu_archive_export(ruhu_archive_report *out, ruhu_replica *hub, const char *outdir,
			const ruhu_archive_opts *opts)
{
	struct archive a;
	struct audit_target *targets = NULL;
	ruhu_buf csv = RUHU_BUF_INIT, xml = RUHU_BUF_INIT;
	ruhu_save_info info;
	size_t nsel = 0, natt = 0;
	int64_t cutoff;
	git_oid head;
	int error, opened = 0;

	memset(&a, 0, sizeof(a));
	if (out)
		memset(out, 0, sizeof(*out));
	if (opts == NULL || opts->version != RUHU_ARCHIVE_OPTS_VERSION || opts->closed_before == NULL)
		return ruhu_error_set(RUHU_EINVALID, "an archive export needs the day before which cases closed "
				      "(--closed-before YYYY-MM-DD)");
	if (outdir == NULL || outdir[0] == '\0')
		return ruhu_error_set(RUHU_EINVALID, "an archive export needs a folder to write to");
	if ((error = ruhu_hub_check(hub)) < 0 || (error = ruhu_audit_parse_time(&cutoff, hub, opts->closed_before)) < 0)
		return error;
	if ((error = audit_ctx_open(&a.c, hub)) < 0)
		return error;
	if ((error = ruhu_identity_centre(&a.centre, hub)) < 0 || (error = load_catalogue(&a)) < 0)
		goto done;
	if (ruhu_meta_get(&a.centre_name, a.c.db, "centre_name") < 0) {
		ruhu_error_clear();
		ruhu_buf_puts(&a.centre_name, "");
	}
	if (ruhu_refs_get(&head, a.c.db, "refs/heads/main") == 0)
		git_oid_tostr(a.main, sizeof(a.main), &head);
	ruhu_error_clear();

	/* the cases, their histories, the selection and its codes */
	if ((error = archive_candidates(&a)) < 0)
		goto done;
	if ((targets = calloc(a.n ? a.n : 1, sizeof(*targets))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	for (size_t i = 0; i < a.n; i++) {
		targets[i].type = a.k[i].type;
		targets[i].id = a.k[i].id;
		a.k[i].jw.out = &a.k[i].history; /* the array moved as it grew */
	}
	if (a.n && (error = audit_history_walk(&a.c, targets, a.n, archive_on_version, &a)) < 0)
		goto done;
	for (size_t i = 0; i < a.n; i++) {
		a.k[i].selected = a.k[i].last >= 0 && a.k[i].last < cutoff;
		a.k[i].year = a.k[i].selected ? archive_year_of(a.k[i].last, a.c.tz) : 0;
		nsel += a.k[i].selected;
	}
	free(targets); /* its strings are the cases' (sorted next) */
	targets = NULL;
	if (nsel == 0) {
		error = ruhu_error_set(RUHU_ENOTFOUND, "no closed case had its last change before %s: nothing to "
				       "archive", opts->closed_before);
		goto done;
	}
	qsort(a.k, a.n, sizeof(*a.k), archive_case_cmp);
	for (size_t i = 0, num = 0; i < nsel; i++) {
		struct kase *k = &a.k[i];

		num = i && a.k[i - 1].year == k->year && !strcmp(a.k[i - 1].type, k->type) ? num + 1 : 1;
		snprintf(k->code, sizeof(k->code), "%s-%04d-%s-%04zu", a.centre.ptr, k->year, k->type, num);
		/* the history fragments point at the moved buffers */
		k->jw.out = &k->history;
	}

	/* the files */
	if ((error = archive_out_open(&a.o, outdir)) < 0)
		goto done;
	opened = 1;
	if ((error = archive_out_mkdir(&a.o, "records")) < 0 ||
	    (error = ruhu_buf_puts(&csv, "archive_code,type,id,title,status,person_id,person_name,opened,closed,"
				   "year,versions,attachments,file\r\n")) < 0 ||
	    (error = ruhu_buf_puts(&xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<archive centre=\"")) < 0 ||
	    (error = xml_text(&xml, a.centre.ptr)) < 0 || (error = ruhu_buf_puts(&xml, "\" centre-name=\"")) < 0 ||
	    (error = xml_text(&xml, a.centre_name.ptr)) < 0 ||
	    (error = ruhu_buf_printf(&xml, "\" closed-before=\"%s\" hub-main=\"%s\" records=\"%zu\">\n",
				     opts->closed_before, a.main, nsel)) < 0)
		goto done;
	for (size_t i = 0; i < nsel; i++) {
		const char *t = a.k[i].type;

		if ((error = write_case(&a, &a.k[i], &csv, &xml, &natt)) < 0)
			goto done;
		if (out) {
			out->applications += !strcmp(t, "application");
			out->disputes += !strcmp(t, "dispute");
			out->complaints += !strcmp(t, "complaint");
		}
	}
	if ((error = ruhu_buf_puts(&xml, "</archive>\n")) < 0 ||
	    (error = archive_out_write(&a.o, "catalogue.csv", csv.ptr, csv.size)) < 0 ||
	    (error = archive_out_write(&a.o, "catalogue.xml", xml.ptr, xml.size)) < 0 ||
	    (error = write_readme(&a, opts->closed_before, nsel)) < 0)
		goto done;
	{
		char sha[65];
		size_t files = 0;
		uint64_t bytes = 0;

		if ((error = write_manifest(&a, sha, &files, &bytes)) < 0 ||
		    (error = record_event(&a, opts->closed_before, nsel, sha, &info)) < 0)
			goto done;
		if (out) {
			out->records = nsel;
			out->attachments = natt;
			out->files = files;
			out->bytes = bytes;
			memcpy(out->manifest_sha256, sha, sizeof(out->manifest_sha256));
			snprintf(out->commit, sizeof(out->commit), "%s", info.id);
		}
	}
done:
	if (error < 0 && opened)
		archive_out_remove(&a.o);
	archive_out_release(&a.o);
	for (size_t i = 0; i < a.n; i++) {
		free(a.k[i].id);
		free(a.k[i].status);
		free(a.k[i].person);
		free(a.k[i].opened);
		free(a.k[i].title);
		ruhu_buf_dispose(&a.k[i].history);
	}
	free(a.k);
	free(targets);
	ruhu_catalogue_free(a.cat);
	ruhu_buf_dispose(&a.centre);
	ruhu_buf_dispose(&a.centre_name);
	ruhu_buf_dispose(&csv);
	ruhu_buf_dispose(&xml);
	audit_ctx_close(&a.c);
	if (error < 0 && out)
		memset(out, 0, sizeof(*out));
	return error;
}
