/*
 * archive.h — what the archive files share (ruhu/audit.h is the public
 * side): a small JSON writer, CSV and XML escaping, the files of a package
 * written and hashed, and the package's fixed names.
 *
 * Design notes
 *  1. The package is a folder (docs/audit.md §6):
 *       README.txt               what it is, how to check it
 *       catalogue.csv            one line per case (RFC 4180, UTF-8, header line)
 *       catalogue.xml            the same as XML
 *       records/<code>.json      a case with its full history
 *       attachments/<code>/<attachment id>.<ext>   its attachments' bytes
 *       manifest-sha256.txt      `sha256sum` lines for every other file
 *  2. Files are created new (O_EXCL), readable by their owner only (they
 *     hold personal data in clear), and remembered so that a failed export
 *     removes everything it wrote.
 */
#ifndef RUHU_SYNC_ARCHIVE_H
#define RUHU_SYNC_ARCHIVE_H

#include <stdint.h>

#include "sync/audit.h"

#define ARCHIVE_MANIFEST "manifest-sha256.txt"

/* ---- JSON (archive_files.c) ---- */

struct jw {
	ruhu_buf *out;
	int depth;
	int first[32];     /* no member written yet at this depth */
	int after_key;
	int failed;
};

void jw_init(struct jw *j, ruhu_buf *out);
void jw_begin(struct jw *j, char open);   /* '{' or '[' */
void jw_end(struct jw *j, char close);
void jw_key(struct jw *j, const char *key);
void jw_str(struct jw *j, const char *s);
void jw_strn(struct jw *j, const char *s, size_t n);
void jw_int(struct jw *j, long long v);
void jw_null(struct jw *j);
void jw_bool(struct jw *j, int v);
void jw_value(struct jw *j, const ruhu_value *v);
/* An array whose items were written by another writer started with
 * depth = this writer's depth + 1 (a fragment built while walking). */
void jw_raw_array(struct jw *j, const ruhu_buf *items);
/* key + value shorthands; a NULL string writes null */
void jw_kstr(struct jw *j, const char *key, const char *s);
void jw_kint(struct jw *j, const char *key, long long v);

/* ---- CSV and XML (archive_files.c) ---- */

int csv_field(ruhu_buf *out, const char *s, int last);
int xml_text(ruhu_buf *out, const char *s);

/* ---- files of the package (archive_files.c, note 2) ---- */

struct archive_out {
	char *dir;
	char **paths;      /* relative, in the order written */
	size_t npaths;
	char **dirs;       /* relative folders made, in order */
	size_t ndirs;
	uint64_t bytes;
};

/* Make `dir` (missing or empty; RUHU_EEXISTS otherwise). */
int archive_out_open(struct archive_out *o, const char *dir);
/* Make the folder `rel` below it (parents first). */
int archive_out_mkdir(struct archive_out *o, const char *rel);
/* Write a new file `rel` with `len` bytes. */
int archive_out_write(struct archive_out *o, const char *rel, const void *data, size_t len);
/* Remove everything written (on failure) and forget it. */
void archive_out_remove(struct archive_out *o);
void archive_out_release(struct archive_out *o);

/* SHA-256 of a file, hex (65 bytes with the NUL); *size gets its size. */
int archive_sha256_file(char out[65], uint64_t *size, const char *path);
void archive_sha256_hex(char out[65], const void *data, size_t len);

/* The file extension for a media type ("jpg", "pdf", ... or "bin"). */
const char *archive_extension(const char *mime);

/* ---- the export (archive.c, archive_write.c) ---- */

struct kase {
	const char *type;
	char *id, *status, *person, *opened, *title;
	int64_t last;             /* seconds; -1: never changed */
	size_t versions;
	ruhu_buf history;         /* JSON items of "history" */
	struct jw jw;
	char code[128];
	int year, selected;
};

struct archive {
	struct audit_ctx c;
	struct archive_out o;
	struct kase *k;
	size_t n;
	ruhu_catalogue *cat;
	ruhu_buf centre, centre_name;
	char main[RUHU_OID_SIZE];
};

/* Every closed case of the hub (archive.c, design note 1). */
int archive_candidates(struct archive *a);
/* audit_history_walk's callback: a version into its case's JSON. */
int archive_on_version(size_t target, const ruhu_audit_version *v, void *payload);
int archive_year_of(int64_t seconds, int tz);
/* Selected first, then by year, type, last change, id (design note 3). */
int archive_case_cmp(const void *x, const void *y);
/* A replica row as a JSON object, or null. */
int archive_row_json(struct jw *j, sqlite3 *db, const char *type, const char *id);
/* A case's attachments: files written, JSON listed, XML lines added. */
int archive_attachments(struct archive *a, struct kase *k, struct jw *j, ruhu_buf *xml, size_t *count);

#endif
