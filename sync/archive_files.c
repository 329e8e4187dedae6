/*
 * archive_files.c — the writing side of an archive package: JSON, CSV and
 * XML text, files created and hashed (see archive.h).
 *
 * Design notes
 *  1. JSON is written indented (two spaces a level): the package is read by
 *     people as much as by programs.  Strings are UTF-8 as stored; control
 *     characters, `"` and `\` are escaped; nothing else is.
 *  2. CSV follows RFC 4180: a field holding a comma, a quote, CR or LF is
 *     quoted and its quotes doubled; lines end with CRLF.
 *  3. A file is written with O_CREAT | O_EXCL, mode 0600, and fsync'ed; a
 *     folder with mode 0700.  Nothing written before is ever overwritten.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crypto.h"
#include "sync/archive.h"

/* ---- JSON ---- */

void jw_init(struct jw *j, ruhu_buf *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

static void put(struct jw *j, const char *s, size_t n)
{
	if (ruhu_buf_put(j->out, s, n) < 0)
		j->failed = 1;
}

static void indent(struct jw *j)
{
	put(j, "\n", 1);
	for (int i = 0; i < j->depth; i++)
		put(j, "  ", 2);
}

/* Before a value: a comma and a new line unless it follows its key. */
static void before(struct jw *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->depth > 0) {
		if (!j->first[j->depth])
			put(j, ",", 1);
		j->first[j->depth] = 0;
		indent(j);
	}
}

void jw_begin(struct jw *j, char open)
{
	before(j);
	put(j, &open, 1);
	if (j->depth < 31)
		j->depth++;
	j->first[j->depth] = 1;
}

void jw_end(struct jw *j, char close)
{
	int empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty)
		indent(j);
	put(j, &close, 1);
}

static void string(struct jw *j, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	put(j, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7] = "\\u00";

		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			put(j, esc, 2);
		} else if (c == '\n') {
			put(j, "\\n", 2);
		} else if (c == '\t') {
			put(j, "\\t", 2);
		} else if (c == '\r') {
			put(j, "\\r", 2);
		} else if (c < 0x20) {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			put(j, esc, 6);
		} else {
			put(j, (const char *)&s[i], 1);
		}
	}
	put(j, "\"", 1);
}

void jw_key(struct jw *j, const char *key)
{
	before(j);
	string(j, key, strlen(key));
	put(j, ": ", 2);
	j->after_key = 1;
}

void jw_strn(struct jw *j, const char *s, size_t n)
{
	before(j);
	string(j, s, n);
}

void jw_str(struct jw *j, const char *s)
{
	if (s == NULL)
		jw_null(j);
	else
		jw_strn(j, s, strlen(s));
}

void jw_int(struct jw *j, long long v)
{
	char t[32];
	int n = snprintf(t, sizeof(t), "%lld", v);

	before(j);
	put(j, t, (size_t)n);
}

void jw_null(struct jw *j)
{
	before(j);
	put(j, "null", 4);
}

void jw_bool(struct jw *j, int v)
{
	before(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void jw_value(struct jw *j, const ruhu_value *v)
{
	char t[40];
	int n;

	switch (v->type) {
	case RUHU_VALUE_INTEGER:
		jw_int(j, (long long)v->i);
		break;
	case RUHU_VALUE_REAL:
		n = snprintf(t, sizeof(t), "%.17g", v->d);
		before(j);
		put(j, t, (size_t)n);
		break;
	case RUHU_VALUE_TEXT:
		jw_strn(j, v->p, v->len);
		break;
	case RUHU_VALUE_BLOB: {
		ruhu_buf h = RUHU_BUF_INIT;

		if (ruhu_buf_puthex(&h, v->p, v->len) < 0)
			j->failed = 1;
		jw_strn(j, h.ptr ? h.ptr : "", h.size);
		ruhu_buf_dispose(&h);
		break;
	}
	default:
		jw_null(j);
	}
}

void jw_raw_array(struct jw *j, const ruhu_buf *items)
{
	before(j);
	put(j, "[", 1);
	if (items->size) {
		put(j, items->ptr, items->size);
		indent(j);
	}
	put(j, "]", 1);
}

void jw_kstr(struct jw *j, const char *key, const char *s)
{
	jw_key(j, key);
	jw_str(j, s);
}

void jw_kint(struct jw *j, const char *key, long long v)
{
	jw_key(j, key);
	jw_int(j, v);
}

/* ---- CSV and XML ---- */

int csv_field(ruhu_buf *out, const char *s, int last)
{
	int error = 0;

	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n")) {
		if ((error = ruhu_buf_putc(out, '"')) < 0)
			return error;
		for (const char *p = s; *p && error == 0; p++)
			error = *p == '"' ? ruhu_buf_puts(out, "\"\"") : ruhu_buf_putc(out, *p);
		if (error == 0)
			error = ruhu_buf_putc(out, '"');
	} else {
		error = ruhu_buf_puts(out, s);
	}
	if (error == 0)
		error = ruhu_buf_puts(out, last ? "\r\n" : ",");
	return error;
}

int xml_text(ruhu_buf *out, const char *s)
{
	int error = 0;

	for (const char *p = s ? s : ""; *p && error == 0; p++) {
		unsigned char c = (unsigned char)*p;

		switch (c) {
		case '<': error = ruhu_buf_puts(out, "&lt;"); break;
		case '>': error = ruhu_buf_puts(out, "&gt;"); break;
		case '&': error = ruhu_buf_puts(out, "&amp;"); break;
		case '"': error = ruhu_buf_puts(out, "&quot;"); break;
		case '\'': error = ruhu_buf_puts(out, "&apos;"); break;
		default:
			/* XML 1.0 allows no other control character than TAB, LF, CR */
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				error = ruhu_buf_putc(out, ' ');
			else
				error = ruhu_buf_putc(out, (char)c);
		}
	}
	return error;
}

/* ---- files ---- */

static char *join(const char *dir, const char *rel)
{
	ruhu_buf b = RUHU_BUF_INIT;

	if (ruhu_buf_printf(&b, "%s/%s", dir, rel) < 0) {
		ruhu_buf_dispose(&b);
		return NULL;
	}
	return ruhu_buf_detach(&b);
}

static int remember(char ***list, size_t *n, const char *rel)
{
	char **v = realloc(*list, (*n + 1) * sizeof(*v));

	if (v == NULL)
		return ruhu_error_oom();
	*list = v;
	if ((v[*n] = strdup(rel)) == NULL)
		return ruhu_error_oom();
	(*n)++;
	return 0;
}

int archive_out_open(struct archive_out *o, const char *dir)
{
	DIR *d;
	struct dirent *e;

	memset(o, 0, sizeof(*o));
	if ((o->dir = strdup(dir)) == NULL)
		return ruhu_error_oom();
	if (mkdir(dir, 0700) == 0)
		return remember(&o->dirs, &o->ndirs, ".");
	if (errno != EEXIST)
		return ruhu_error_set(errno == ENOSPC ? RUHU_ENOSPACE : RUHU_ERROR, "cannot make %s: %s", dir,
				      strerror(errno));
	if ((d = opendir(dir)) == NULL)
		return ruhu_error_set(RUHU_ERROR, "cannot read %s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			closedir(d);
			return ruhu_error_set(RUHU_EEXISTS, "%s is not empty: an archive package needs a new "
					      "or empty folder", dir);
		}
	closedir(d);
	return 0;
}

int archive_out_mkdir(struct archive_out *o, const char *rel)
{
	char *path = join(o->dir, rel);
	int error = 0;

	if (path == NULL)
		return ruhu_error_oom();
	if (mkdir(path, 0700) == 0)
		error = remember(&o->dirs, &o->ndirs, rel);
	else if (errno != EEXIST)
		error = ruhu_error_set(errno == ENOSPC ? RUHU_ENOSPACE : RUHU_ERROR, "cannot make %s: %s", path,
				       strerror(errno));
	free(path);
	return error;
}

int archive_out_write(struct archive_out *o, const char *rel, const void *data, size_t len)
{
	char *path = join(o->dir, rel);
	const char *p = data;
	size_t left = len;
	int fd = -1, error = 0;

	if (path == NULL)
		return ruhu_error_oom();
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		error = ruhu_error_set(errno == EEXIST ? RUHU_EEXISTS : errno == ENOSPC ? RUHU_ENOSPACE : RUHU_ERROR,
				       "cannot write %s: %s", path, strerror(errno));
		goto done;
	}
	if ((error = remember(&o->paths, &o->npaths, rel)) < 0)
		goto done;
	while (left) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error = ruhu_error_set(errno == ENOSPC ? RUHU_ENOSPACE : RUHU_ERROR, "cannot write %s: %s",
					       path, strerror(errno));
			goto done;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		error = ruhu_error_set(RUHU_ERROR, "cannot write %s: %s", path, strerror(errno));
		goto done;
	}
	o->bytes += len;
done:
	if (fd >= 0 && close(fd) < 0 && error == 0)
		error = ruhu_error_set(RUHU_ERROR, "cannot write %s: %s", path, strerror(errno));
	free(path);
	return error;
}

void archive_out_remove(struct archive_out *o)
{
	for (size_t i = o->npaths; i-- > 0;) {
		char *path = join(o->dir, o->paths[i]);

		if (path)
			unlink(path);
		free(path);
	}
	for (size_t i = o->ndirs; i-- > 0;) {
		char *path = join(o->dir, o->dirs[i]);

		if (path)
			rmdir(path);
		free(path);
	}
}

void archive_out_release(struct archive_out *o)
{
	for (size_t i = 0; i < o->npaths; i++)
		free(o->paths[i]);
	for (size_t i = 0; i < o->ndirs; i++)
		free(o->dirs[i]);
	free(o->paths);
	free(o->dirs);
	free(o->dir);
	memset(o, 0, sizeof(*o));
}

static void hex(char out[65], const unsigned char h[32])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 15];
	}
	out[64] = '\0';
}

void archive_sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char h[32];

	ruhu_hash_sha256(h, data, len);
	hex(out, h);
}

int archive_sha256_file(char out[65], uint64_t *size, const char *path)
{
	ruhu_hash_state st;
	unsigned char buf[65536], h[32];
	int fd, error = 0;

	*size = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return ruhu_error_set(errno == ENOENT ? RUHU_ENOTFOUND : RUHU_ERROR, "cannot read %s: %s", path,
				      strerror(errno));
	if ((error = ruhu_hash_init(&st, RUHU_HASH_SHA256, 32)) < 0)
		goto done;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = ruhu_error_set(RUHU_ERROR, "cannot read %s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		ruhu_hash_update(&st, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	ruhu_hash_final(&st, h);
	if (error == 0)
		hex(out, h);
done:
	close(fd);
	return error;
}

const char *archive_extension(const char *mime)
{
	static const struct {
		const char *mime, *ext;
	} map[] = {
		{ "image/jpeg", "jpg" }, { "image/png", "png" }, { "image/gif", "gif" },
		{ "image/webp", "webp" }, { "image/heic", "heic" }, { "image/heic-sequence", "heics" },
		{ "image/heif", "heif" }, { "image/avif", "avif" }, { "image/tiff", "tif" },
		{ "image/bmp", "bmp" }, { "application/pdf", "pdf" }, { "application/zip", "zip" },
		{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx" },
		{ "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx" },
		{ "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx" },
		{ "application/vnd.oasis.opendocument.text", "odt" },
		{ "application/vnd.oasis.opendocument.spreadsheet", "ods" },
		{ "application/vnd.oasis.opendocument.presentation", "odp" },
		{ "application/vnd.oasis.opendocument.graphics", "odg" },
		{ "audio/ogg", "ogg" }, { "audio/mpeg", "mp3" }, { "audio/mp4", "m4a" }, { "audio/wav", "wav" },
		{ "audio/amr", "amr" }, { "video/mp4", "mp4" }, { "video/quicktime", "mov" },
		{ "video/3gpp", "3gp" }, { "text/plain; charset=utf-8", "txt" },
	};

	for (size_t i = 0; mime && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(mime, map[i].mime))
			return map[i].ext;
	return "bin";
}
