/*
 * schema.c — loading a schema: sort the files, hash them into the version,
 * run the migrations into an in-memory SQLite database to learn the tables,
 * and join them with the rules file into ruhu_type and ruhu_field.
 *
 * Design notes
 *  1. SQL is the truth for tables and columns (names, order, types, keys),
 *     the rules file for everything else.  Running the migrations in a
 *     scratch ":memory:" database, with the validators registered, both
 *     checks the SQL and tells us the final shape of every table after all
 *     migrations, ALTERs included.
 *  2. While migrations run, an authorizer admits only what a schema may do:
 *     create, alter and drop tables and indexes.  Triggers, views, virtual
 *     and temporary tables, pragmas, transactions, ATTACH and writing rows
 *     are refused with file:line (the merge adds its own triggers; install
 *     runs inside the caller's transaction).
 *  3. Every table whose name does not start with '_' is a record table and
 *     must be STRICT, have the single primary key `id TEXT`, no UNIQUE
 *     constraint or index, no foreign key, no generated column; and it must
 *     have a `type` in the rules file, as every type must have a table.
 *  4. The version (ruhu/schema.h, note 5) is the SHA-256 of the manifest
 *         <sha256 of file>  migrations/NNNN-name.sql\n   (in number order)
 *         <sha256 of file>  <rules file base name>\n
 *     i.e. `sha256sum migrations/NNNN-*.sql township.rules | sha256sum`
 *     run in schema/data.
 *  5. Migrations are named NNNN-name.sql and numbered 0001, 0002, ...
 *     without gaps; exactly one rules file is given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/embedded.h"
#include "schema/schema_db.h"
#include "schema/schema_int.h"

#define MAX_SOURCES 1000

struct load {
	ruhu_schema *s;
	struct arena *arena;
	const char *rules_name;
	const char *rules_text;
	size_t rules_len;
	struct rules rules;
	/* while a statement runs (note 2) */
	const char *file;
	int line;
	char why[256];
	int why_oom;              /* why[] is an allocation that failed, not a refusal */
	char dropping[128];
	struct pos *tables;
	size_t ntables, ctables;
	struct pos *indexes;
	size_t nindexes, cindexes;
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* NNNN-name.sql: the number, or -1. */
static int migration_number(const char *base)
{
	size_t n = strlen(base);
	int number = 0;

	if (n < 10 || strcmp(base + n - 4, ".sql") != 0 || base[4] != '-')
		return -1;
	for (int i = 0; i < 4; i++) {
		if (base[i] < '0' || base[i] > '9')
			return -1;
		number = number * 10 + (base[i] - '0');
	}
	for (size_t i = 5; i < n - 4; i++)
		if (!is_word_char((unsigned char)base[i]) || base[i] == '.')
			return -1;
	return number ? number : -1;
}

/* The first line that is not blank or a comment, trimmed; no checks and no
 * error set (the parsers check lines properly). */
static size_t first_line(const char *p, size_t len, const char **out)
{
	const char *end = p + len;

	if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		const char *q = e ? e : end;

		while (p < q && (*p == ' ' || *p == '\t'))
			p++;
		while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r'))
			q--;
		if (q > p && *p != '#') {
			*out = p;
			return (size_t)(q - p);
		}
		p = e ? e + 1 : end;
	}
	return 0;
}

ruhu_file_kind ruhu_schema_file_kind(const char *name, const void *data, size_t len)
{
	size_t nlen = name ? strlen(name) : 0, n;
	const char *line = NULL;

	if (name && migration_number(base_name(name)) > 0)
		return RUHU_FILE_MIGRATION;
	if (nlen > 6 && !strcmp(name + nlen - 6, ".rules"))
		return RUHU_FILE_RULES;
	if (data == NULL || (n = first_line(data, len, &line)) == 0)
		return RUHU_FILE_UNKNOWN;
	if (eqn(line, n, "format rules 1"))
		return RUHU_FILE_RULES;
	if (n >= 16 && !memcmp(line, "format catalogue", 16))
		return RUHU_FILE_CATALOGUE;
	return RUHU_FILE_UNKNOWN;
}

int ruhu_schema_file_kind_path(ruhu_file_kind *out, const char *path)
{
	ruhu_buf buf = RUHU_BUF_INIT;
	int error;

	if (out == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no place for the file kind");
	*out = RUHU_FILE_UNKNOWN;
	if ((error = read_file(&buf, path, TEXT_MAX_FILE, "file")) == 0)
		*out = ruhu_schema_file_kind(path, buf.ptr ? buf.ptr : "", buf.size);
	ruhu_buf_dispose(&buf);
	return error;
}

static int cmp_migration(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return (x->number > y->number) - (x->number < y->number);
}

/* Sort the sources into migrations and the rules file (note 5). */
static int classify(struct load *L, const ruhu_source *files, size_t count)
{
	ruhu_schema *s = L->s;
	size_t nmig = 0;

	if (count > MAX_SOURCES)
		return ruhu_error_set(RUHU_ESCHEMA, "more than %d schema files", MAX_SOURCES);
	if ((s->migrations = arena_alloc(L->arena, sizeof(struct migration) * (count ? count : 1))) == NULL)
		return RUHU_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const char *name = files[i].name ? files[i].name : "schema file";
		ruhu_file_kind kind = ruhu_schema_file_kind(name, files[i].data, files[i].len);
		char *copy;

		if (files[i].len > TEXT_MAX_FILE)
			return src_error(name, 0, "larger than %zu bytes", TEXT_MAX_FILE);
		if ((copy = arena_strndup(L->arena, files[i].data, files[i].len)) == NULL)
			return RUHU_ENOMEM;
		if (kind == RUHU_FILE_MIGRATION) {
			struct migration *m = &s->migrations[nmig++];

			m->number = migration_number(base_name(name));
			m->sql = copy;
			m->len = files[i].len;
			if ((m->name = arena_strndup(L->arena, name, strlen(name))) == NULL)
				return RUHU_ENOMEM;
			sha256_hex(m->sha256, copy, m->len);
		} else if (kind == RUHU_FILE_RULES) {
			if (L->rules_text)
				return src_error(name, 0, "a second rules file (the first is %s)", L->rules_name);
			L->rules_name = name;
			L->rules_text = copy;
			L->rules_len = files[i].len;
		} else if (kind == RUHU_FILE_CATALOGUE) {
			return src_error(name, 0, "is a catalogue, not a schema file");
		} else {
			return src_error(name, 0, "not a schema file (expected a migration NNNN-name.sql "
					 "or a rules file beginning 'format rules 1')");
		}
	}
	qsort(s->migrations, nmig, sizeof(struct migration), cmp_migration);
	s->nmigrations = nmig;
	for (size_t i = 0; i < nmig; i++)
		if (s->migrations[i].number != (int)i + 1)
			return src_error(s->migrations[i].name, 0, i && s->migrations[i].number == (int)i ?
					 "a second migration numbered %04d" : "migration %04d is missing",
					 (int)i + (i && s->migrations[i].number == (int)i ? 0 : 1));
	if (nmig == 0)
		return ruhu_error_set(RUHU_ESCHEMA, "no schema migrations (NNNN-name.sql)");
	if (L->rules_text == NULL)
		return ruhu_error_set(RUHU_ESCHEMA, "no rules file (beginning 'format rules 1')");
	return 0;
}

static int compute_version(struct load *L)
{
	ruhu_buf manifest = RUHU_BUF_INIT;
	char h[65];
	int error = 0;

	for (size_t i = 0; !error && i < L->s->nmigrations; i++)
		error = ruhu_buf_printf(&manifest, "%s  migrations/%s\n", L->s->migrations[i].sha256,
					base_name(L->s->migrations[i].name));
	sha256_hex(h, L->rules_text, L->rules_len);
	if (!error)
		error = ruhu_buf_printf(&manifest, "%s  %s\n", h, base_name(L->rules_name));
	if (!error)
		sha256_hex(L->s->version, manifest.ptr, manifest.size);
	ruhu_buf_dispose(&manifest);
	return error;
}

/* --- running migrations (note 2) --- */

static int add_pos(struct load *L, struct pos **arr, size_t *n, size_t *cap, const char *name)
{
	int error;

	if ((error = array_grow((void **)arr, cap, *n + 1, sizeof(**arr))) < 0)
		return error;
	(*arr)[*n].file = L->file;
	(*arr)[*n].line = L->line;
	if (((*arr)[*n].name = arena_strndup(L->arena, name, strlen(name))) == NULL)
		return RUHU_ENOMEM;
	(*n)++;
	return 0;
}

static int deny(struct load *L, const char *why)
{
	snprintf(L->why, sizeof(L->why), "%s", why);
	return SQLITE_DENY;
}

static int deny_oom(struct load *L)
{
	L->why_oom = 1;
	return deny(L, "out of memory");
}

static int is_schema_table(const char *t)
{
	return t && (!sqlite3_stricmp(t, "sqlite_master") || !sqlite3_stricmp(t, "sqlite_schema") ||
		     !sqlite3_stricmp(t, "sqlite_temp_master") || !sqlite3_stricmp(t, "sqlite_temp_schema"));
}

static int authorize(void *arg, int action, const char *a1, const char *a2, const char *db,
		     const char *trigger)
{
	struct load *L = arg;

	(void)db;
	(void)trigger;
	switch (action) {
	case SQLITE_CREATE_TABLE:
		if (add_pos(L, &L->tables, &L->ntables, &L->ctables, a1) < 0)
			return deny_oom(L);
		return SQLITE_OK;
	case SQLITE_CREATE_INDEX:
		if (add_pos(L, &L->indexes, &L->nindexes, &L->cindexes, a1) < 0)
			return deny_oom(L);
		return SQLITE_OK;
	case SQLITE_DROP_TABLE:
		snprintf(L->dropping, sizeof(L->dropping), "%s", a1 ? a1 : "");
		return SQLITE_OK;
	case SQLITE_ALTER_TABLE: case SQLITE_DROP_INDEX: case SQLITE_READ: case SQLITE_SELECT:
	case SQLITE_FUNCTION: case SQLITE_REINDEX: case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_INSERT: case SQLITE_UPDATE: case SQLITE_DELETE:
		if (is_schema_table(a1) || (action == SQLITE_DELETE && L->dropping[0] &&
					     a1 && !sqlite3_stricmp(a1, L->dropping)))
			return SQLITE_OK;
		return deny(L, "migrations define tables and indexes; they do not write rows");
	case SQLITE_CREATE_TRIGGER: case SQLITE_CREATE_TEMP_TRIGGER:
		return deny(L, "triggers are not allowed in the schema (the merge code adds its own guards)");
	case SQLITE_CREATE_VIEW: case SQLITE_CREATE_TEMP_VIEW:
		return deny(L, "views are not allowed in the schema");
	case SQLITE_CREATE_TEMP_TABLE: case SQLITE_CREATE_TEMP_INDEX:
		return deny(L, "temporary tables and indexes are not allowed in the schema");
	case SQLITE_CREATE_VTABLE:
		return deny(L, "virtual tables are not allowed in the schema");
	case SQLITE_TRANSACTION: case SQLITE_SAVEPOINT:
		return deny(L, "migrations run inside ruhu's transaction: no BEGIN, COMMIT or SAVEPOINT");
	case SQLITE_PRAGMA:
		/* ALTER TABLE ADD COLUMN ... CHECK runs quick_check on the table */
		if (a1 && !sqlite3_stricmp(a1, "quick_check"))
			return SQLITE_OK;
		return deny(L, "pragmas are not allowed in the schema");
	case SQLITE_ATTACH: case SQLITE_DETACH:
		return deny(L, "ATTACH and DETACH are not allowed in the schema");
	default:
		return deny(L, "this statement is not allowed in a schema migration");
	}
}

/* Skip blanks and SQL comments. */
static const char *skip_space(const char *p, const char *end)
{
	while (p < end) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f') {
			p++;
		} else if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
			while (p < end && *p != '\n')
				p++;
		} else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
			const char *q;

			for (q = p + 2; end - q >= 2 && !(q[0] == '*' && q[1] == '/'); q++)
				;
			p = end - q >= 2 ? q + 2 : end;
		} else {
			break;
		}
	}
	return p;
}

static int line_at(const char *base, const char *pos)
{
	int line = 1;

	for (const char *p = base; p < pos; p++)
		line += *p == '\n';
	return line;
}

/* A failed statement: a schema problem, unless the database itself failed. */
static int statement_error(sqlite3 *db, const char *file, int line)
{
	int rc = sqlite3_errcode(db) & 0xff;
	int code = rc == SQLITE_FULL ? RUHU_ENOSPACE : rc == SQLITE_BUSY || rc == SQLITE_LOCKED ?
		   RUHU_EBUSY : rc == SQLITE_NOMEM ? RUHU_ENOMEM : rc == SQLITE_READONLY ?
		   RUHU_EREADONLY : rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? RUHU_ECORRUPT :
		   rc == SQLITE_IOERR || rc == SQLITE_CANTOPEN ? RUHU_ERROR : RUHU_ESCHEMA;

	if (code == RUHU_ESCHEMA)
		return src_error(file, line, "%s", sqlite3_errmsg(db));
	return ruhu_error_set(code, "%s:%d: %s", file, line, sqlite3_errmsg(db));
}

int schema_run_sql(sqlite3 *db, const char *file, const char *sql, size_t len,
		   void *auth_ctx, int *stmt_line)
{
	const char *p = sql, *end = sql + len;
	struct load *L = auth_ctx;

	while ((p = skip_space(p, end)) < end) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		int rc, line = line_at(sql, p);

		if (L) {
			L->file = file;
			L->line = line;
			L->why[0] = '\0';
			L->why_oom = 0;
			L->dropping[0] = '\0';
		}
		if (stmt_line)
			*stmt_line = line;
		if (end - p > 0x7fffffff)
			return src_error(file, line, "statement too long");
		rc = sqlite3_prepare_v2(db, p, (int)(end - p), &st, &tail);
		if (rc != SQLITE_OK) {
			int off = sqlite3_error_offset(db);

			if (L && L->why_oom)
				return ruhu_error_set(RUHU_ENOMEM, "%s:%d: out of memory", file, line);
			if (L && L->why[0])
				return src_error(file, line, "%s", L->why);
			if (off >= 0 && off < end - p)
				line = line_at(sql, p + off);
			return statement_error(db, file, line);
		}
		if (st == NULL)
			break;
		if (L && sqlite3_stmt_readonly(st)) {
			sqlite3_finalize(st);
			return src_error(file, line, "migrations define tables and indexes; "
					 "a statement that changes nothing is not allowed");
		}
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE) {
			int error = statement_error(db, file, line);

			sqlite3_finalize(st);
			return error;
		}
		sqlite3_finalize(st);
		p = tail;
	}
	return 0;
}

/* --- loading --- */

static int load(ruhu_schema **out, const ruhu_source *files, size_t count)
{
	struct load L;
	struct build_in in;
	ruhu_schema *s;
	sqlite3 *db = NULL;
	int error = 0;

	*out = NULL;
	memset(&L, 0, sizeof(L));
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ruhu_error_oom();
	L.s = s;
	L.arena = &s->arena;
	if ((error = classify(&L, files, count)) < 0 || (error = compute_version(&L)) < 0)
		goto done;
	if ((error = rules_parse(&L.rules, L.arena, L.rules_name, L.rules_text, L.rules_len)) < 0)
		goto done;
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		error = ruhu_error_set(RUHU_ENOMEM, "cannot open a scratch database to check the schema");
		goto done;
	}
	if ((error = ruhu_schema_register(db)) < 0)
		goto done;
	sqlite3_set_authorizer(db, authorize, &L);
	for (size_t i = 0; i < s->nmigrations; i++) {
		const struct migration *m = &s->migrations[i];

		if ((error = schema_run_sql(db, m->name, m->sql, m->len, &L, NULL)) < 0)
			goto done;
	}
	sqlite3_set_authorizer(db, NULL, NULL);
	for (size_t i = 0; i < s->nmigrations; i++)
		s->migrations[i].name = base_name(s->migrations[i].name);
	in.schema = s;
	in.arena = L.arena;
	in.rules = &L.rules;
	in.db = db;
	in.tables = L.tables;
	in.ntables = L.ntables;
	in.indexes = L.indexes;
	in.nindexes = L.nindexes;
	error = schema_build(&in);
done:
	rules_release(&L.rules);
	free(L.tables);
	free(L.indexes);
	sqlite3_close(db);
	if (error < 0) {
		ruhu_schema_free(s);
		s = NULL;
	}
	*out = s;
	return error;
}

int ruhu_schema_load(ruhu_schema **out, const ruhu_source *files, size_t count)
{
	if (out == NULL || (files == NULL && count))
		return ruhu_error_set(RUHU_EINVALID, "no schema files given");
	return load(out, files, count);
}

/* The embedded files; with `rules`, in place of the embedded rules file. */
static int embedded(ruhu_source *src, size_t *n, size_t max, const ruhu_source *rules)
{
	*n = 0;
	for (size_t i = 0; i < ruhu_schema_embedded_count && *n < max; i++) {
		const struct ruhu_embedded_file *e = &ruhu_schema_embedded_files[i];

		if (rules && migration_number(base_name(e->name)) < 0)
			continue;
		src[*n].name = e->name;
		src[*n].data = e->data;
		src[(*n)++].len = e->len;
	}
	if (rules && *n < max)
		src[(*n)++] = *rules;
	return *n <= max ? 0 : ruhu_error_set(RUHU_ERROR, "too many embedded schema files");
}

int ruhu_schema_load_default(ruhu_schema **out)
{
	ruhu_source src[64];
	size_t n;
	int error;

	if (out == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no place for the schema");
	*out = NULL;
	if ((error = embedded(src, &n, 64, NULL)) < 0)
		return error;
	return load(out, src, n);
}

int ruhu_schema_load_rules(ruhu_schema **out, const char *name, const void *data, size_t len)
{
	ruhu_source src[64], rules = { name ? name : "rules", data, len };
	size_t n;
	int error;

	if (out == NULL || (data == NULL && len))
		return ruhu_error_set(RUHU_EINVALID, "no rules given");
	*out = NULL;
	if ((error = embedded(src, &n, 64, &rules)) < 0)
		return error;
	return load(out, src, n);
}

int ruhu_schema_load_files(ruhu_schema **out, const char *const *paths, size_t count)
{
	ruhu_source src[64 + 64];
	ruhu_buf bufs[64];
	size_t n;
	int error = 0;

	if (out == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no place for the schema");
	*out = NULL;
	if (count > 64)
		return ruhu_error_set(RUHU_EINVALID, "more than 64 schema files");
	memset(bufs, 0, sizeof(bufs));
	if ((error = embedded(src, &n, 64, NULL)) < 0)
		return error;
	for (size_t i = 0; i < count; i++) {
		ruhu_file_kind kind;
		size_t k;

		if ((error = read_file(&bufs[i], paths[i], TEXT_MAX_FILE, "schema file")) < 0)
			goto done;
		kind = ruhu_schema_file_kind(paths[i], bufs[i].ptr, bufs[i].size);
		/* replace the embedded file of the same role (a migration by
		 * number, the rules file), else add it */
		for (k = 0; k < n; k++) {
			ruhu_file_kind ek = ruhu_schema_file_kind(src[k].name, src[k].data, src[k].len);

			if (kind == RUHU_FILE_RULES && ek == RUHU_FILE_RULES)
				break;
			if (kind == RUHU_FILE_MIGRATION && ek == RUHU_FILE_MIGRATION &&
			    migration_number(base_name(src[k].name)) == migration_number(base_name(paths[i])))
				break;
		}
		src[k].name = paths[i];
		src[k].data = bufs[i].ptr ? bufs[i].ptr : "";
		src[k].len = bufs[i].size;
		if (k == n)
			n++;
	}
	error = load(out, src, n);
done:
	for (size_t i = 0; i < count; i++)
		ruhu_buf_dispose(&bufs[i]);
	return error;
}

void ruhu_schema_free(ruhu_schema *schema)
{
	if (schema == NULL)
		return;
	arena_release(&schema->arena);
	free(schema);
}
