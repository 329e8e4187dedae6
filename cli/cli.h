/*
 * cli.h — what the files of the `ruhu` command share: the command table, the
 * option parser, output helpers and the replica opener.
 *
 * Design notes
 *  1. Only cli/ prints or picks exit codes: 0 ok, 1 runtime error, 2 usage.
 *  2. Commands are declared in one table (main.c), one file per group
 *     (cmd_<group>.c).  A command function returns the exit code.
 *  3. Options are declared as arrays of struct cli_option and parsed by
 *     cli_parse(), never by hand (git's parse-options is the model).
 *  4. Errors print as one line "ruhu: <message>" on stderr, the message taken
 *     from the library's last error unchanged.
 */
#ifndef RUHU_CLI_H
#define RUHU_CLI_H

#include <stdio.h>

#include "ruhu/ruhu.h"

#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

/* Global state of one invocation. */
struct cli_ctx {
	const char *dir;     /* -C DIR, else $RUHU_DIR, else NULL */
	const char *argv0;
	const struct cli_command *cmd;
};

typedef int (*cli_fn)(struct cli_ctx *ctx, int argc, const char **argv);

struct cli_command {
	const char *group;   /* "replica", or NULL for a top-level command */
	const char *name;    /* "init" */
	cli_fn fn;
	const char *usage;   /* "ruhu replica init DIR" */
	const char *summary; /* one line for `ruhu help` */
};

extern const struct cli_command cli_commands[];

/* --- option parsing (design note 3) --- */
enum cli_opt_type {
	CLI_OPT_END = 0,
	CLI_OPT_BOOL,   /* int *: set to 1 */
	CLI_OPT_STRING, /* const char **: the argument */
	CLI_OPT_INT,    /* long *: a whole number, checked */
	CLI_OPT_LIST    /* struct cli_list *: repeatable, every argument kept */
};

struct cli_list {
	const char **items;
	int count;
};

struct cli_option {
	enum cli_opt_type type;
	char short_name;       /* 0 when none */
	const char *long_name; /* without the dashes */
	void *value;
	const char *argh;      /* name of the argument in help, e.g. "FILE" */
	const char *help;
};

#define CLI_BOOL(s, l, v, h) { CLI_OPT_BOOL, (s), (l), (v), NULL, (h) }
#define CLI_STRING(s, l, v, a, h) { CLI_OPT_STRING, (s), (l), (v), (a), (h) }
#define CLI_INT(s, l, v, a, h) { CLI_OPT_INT, (s), (l), (v), (a), (h) }
#define CLI_LIST(s, l, v, a, h) { CLI_OPT_LIST, (s), (l), (v), (a), (h) }
#define CLI_END { CLI_OPT_END, 0, NULL, NULL, NULL, NULL }

/*
 * Parse argv[1..argc-1] (argv[0] is the command name) against `opts`.  Options
 * and positional arguments may be mixed; "--" ends options.  On success the
 * positional arguments are moved to argv[0..n-1] and n is returned.  On a usage
 * error a one-line message and the command's usage go to stderr and -1 is
 * returned (the caller exits with CLI_USAGE).  `min` and `max` bound the
 * number of positional arguments (max < 0: no bound).  A list option's items
 * array must be released with cli_list_release().
 */
int cli_parse(struct cli_ctx *ctx, int argc, const char **argv,
	      const struct cli_option *opts, int min, int max);
void cli_list_release(struct cli_list *list);

/* Print the usage and options of the current command to `out`. */
void cli_usage(const struct cli_ctx *ctx, const struct cli_option *opts, FILE *out);

/* Print "ruhu: <last error>" and return CLI_FAIL. */
int cli_fail(void);
/* Print "ruhu: <formatted message>" and return `code`. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "ruhu: <formatted message>", then the usage of the current command
 * and its options `opts` (NULL: none), to stderr; return CLI_USAGE. */
int cli_usage_error(const struct cli_ctx *ctx, const struct cli_option *opts, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print "warning: <message>" to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- passphrases (passphrase.c) --- */
/*
 * Read a passphrase: from the environment variable `env` when set, else by a
 * prompt without echo on the terminal.  The bytes go into `out` (to be
 * released with ruhu_buf_dispose_secure).  With `confirm`, a prompt asks twice.
 */
int cli_passphrase(ruhu_buf *out, const char *env, const char *prompt, int confirm);

/* The replica folder of this invocation, or a usage error when none. */
const char *cli_replica_dir(struct cli_ctx *ctx);

/*
 * Open the replica of this invocation (cli_replica_dir, the passphrase from
 * $RUHU_PASSPHRASE or a prompt).  Returns CLI_OK with *out set (release it
 * with ruhu_replica_free), or the exit code after printing the error.
 */
int cli_open_replica(struct cli_ctx *ctx, ruhu_replica **out);

/* --- new replicas (cmd_replica.c): the Argon2id cost of a new key file,
 * --kdf-ops/--kdf-mem, or the cheapest one under RUHU_TEST_KDF=fast.
 * Returns CLI_OK or CLI_USAGE after printing the error. --- */
int cli_kdf_options(ruhu_replica_options *opts, long ops, long mem_mib);

/* --- JSON output (json.c): a small streaming writer to a ruhu_buf --- */
struct cli_json {
	ruhu_buf buf;
	int depth;
	int need_comma[32];
	int failed; /* an allocation failed: printing reports it */
};

void cli_json_init(struct cli_json *j);
void cli_json_object_begin(struct cli_json *j);
void cli_json_object_end(struct cli_json *j);
void cli_json_array_begin(struct cli_json *j);
void cli_json_array_end(struct cli_json *j);
void cli_json_key(struct cli_json *j, const char *key);
void cli_json_string(struct cli_json *j, const char *s);
void cli_json_stringn(struct cli_json *j, const char *s, size_t len);
void cli_json_int(struct cli_json *j, long long v);
void cli_json_double(struct cli_json *j, double v);
void cli_json_bool(struct cli_json *j, int v);
void cli_json_null(struct cli_json *j);
/* Convenience: key + value. */
void cli_json_kv_string(struct cli_json *j, const char *key, const char *s);
void cli_json_kv_int(struct cli_json *j, const char *key, long long v);
void cli_json_kv_bool(struct cli_json *j, const char *key, int v);
/* key + the string, or null when `s` is NULL or empty (cli_json_kv_string
 * writes null for NULL only). */
void cli_json_kv_opt(struct cli_json *j, const char *key, const char *s);
/* key + the lines of `len` bytes of text as an array of strings; the last
 * "\n" ends a line, it does not start an empty one.  `text` may be NULL. */
void cli_json_lines(struct cli_json *j, const char *key, const char *text, size_t len);
/* "parents": the first `n` (at most 2) commit ids, as an array. */
void cli_json_parents(struct cli_json *j, const char (*parents)[RUHU_OID_SIZE], size_t n);
/* Write the document and a newline to stdout and release the writer. */
int cli_json_print(struct cli_json *j);

/* --- field=value words and records (fields.c) --- */

/* The field=value words of a command: `field=` with nothing after '=' is
 * NULL.  The strings are borrowed from argv. */
struct cli_assigns {
	ruhu_assign *items;
	size_t count;
};

/*
 * Split `n` words "field=value" into `out` (release with
 * cli_assigns_release).  A word without '=' or with an empty field name is a
 * usage error: the message and usage are printed and CLI_USAGE returned.
 */
int cli_assigns_parse(struct cli_ctx *ctx, struct cli_assigns *out, const char *const *words,
		      size_t n);
void cli_assigns_release(struct cli_assigns *a);

/* Append one SQL value to a JSON document (BLOB as hex, NULL as null). */
void cli_json_value(struct cli_json *j, const ruhu_value *v);

/* One record row as a JSON object of its fields. */
void cli_json_record(struct cli_json *j, int ncols, const char *const *names,
		     const ruhu_value *values);

/*
 * Print one record for people: a heading with the type's labels, then one
 * line per field that is not NULL, with the field's labels (and the label
 * of an enumerated value).  `schema` may be NULL (names only).
 */
void cli_print_record(FILE *out, const ruhu_schema *schema, const char *type, int ncols,
		      const char *const *names, const ruhu_value *values);

/* Print "saved commit ID (save N, M changes)" or "nothing changed" for a
 * save, to `out`. */
void cli_print_save(FILE *out, const ruhu_save_info *info);

/* --- audit (cmd_audit.c) --- */
/* One merge decision as a JSON object; with `record`, the record's type and
 * id first. */
void cli_json_decision(struct cli_json *j, const ruhu_audit_decision *d, int record);

/* --- progress bar on a terminal (progress.c) --- */
struct cli_progress {
	const char *label;  /* shown before the bar, e.g. the file's name */
	int tty;            /* stderr is a terminal: draw; else nothing */
	int drawn;          /* characters of the bar drawn, -1: none */
	int shown;          /* something is on the line */
};

void cli_progress_init(struct cli_progress *p, const char *label);
/* A ruhu_progress_cb: payload is the struct cli_progress. */
void cli_progress_cb(size_t done, size_t total, void *payload);
/* Clear the bar's line (when one was drawn). */
void cli_progress_end(struct cli_progress *p);

/* --- files for the sync commands (cmd_sync.c) --- */
/* Read a bundle, reply or request file; prints the error itself and
 * returns CLI_FAIL, or CLI_OK. */
int cli_read_sync_file(ruhu_buf *out, const char *path);
/* Read the file at `path` into `data`, then open the replica of this
 * invocation into *r (NULL until then): the file is refused before a
 * passphrase is asked.  CLI_OK, or the exit code after printing the error;
 * the caller releases both either way. */
int cli_read_and_open(ruhu_buf *data, ruhu_replica **r, struct cli_ctx *ctx, const char *path);
/* Write the enrolment request of replica `r` to `out`, else to
 * DIR/DEVICE.request; `written` gets the name of the file written (the
 * caller disposes it).  CLI_OK, or CLI_FAIL after printing the error. */
int cli_write_request(ruhu_buf *written, ruhu_replica *r, const char *dir, const char *device,
		      const char *out);
/* "2026-11-27 09:14" in the centre's zone (+08:00) for a time in ms since
 * 1970; "never" for 0. */
void cli_format_ms(char *out, size_t size, int64_t ms);

#endif
