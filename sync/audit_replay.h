/*
 * audit_replay.h — the history replayed into a scratch database and
 * compared with the replica (audit_replay.c).
 */
#ifndef RUHU_SYNC_AUDIT_REPLAY_H
#define RUHU_SYNC_AUDIT_REPLAY_H

#include <sqlite3.h>

#include "core/digest.h"
#include "ruhu/schema.h"

/* Where the replay or the comparison found the first difference. */
struct audit_diff {
	const char *kind;          /* compare: "row-missing", "row-extra", "row-changed" */
	const char *what;          /* replay: what is wrong with the record */
	char type[64];
	char id[128];
	int column;                /* -1 when not about a field */
	char field[64];
	char *expected, *found;    /* values as changes.txt writes them, or NULL */
	char message[512];
};

void audit_diff_clear(struct audit_diff *d);

struct audit_replay;

/* An in-memory database with `schema` installed, in one open transaction. */
int audit_replay_open(struct audit_replay **out, const ruhu_schema *schema);
void audit_replay_close(struct audit_replay *rp);

/* Apply a changeset exactly and fold it into the digest.  RUHU_ECONFLICT
 * with `diff` filled when it does not fit; other errors as they come. */
int audit_replay_apply(struct audit_replay *rp, const void *cs, size_t len, struct audit_diff *diff);
void audit_replay_digest(ruhu_digest *out, const struct audit_replay *rp);

/* ---- the exact apply (audit_apply.c) ---- */
struct audit_apply;
int audit_apply_open(struct audit_apply **out, sqlite3 *db, const ruhu_schema *schema);
void audit_apply_close(struct audit_apply *ap);
/* Apply `cs` exactly to the database and fold it into *d (unchanged on
 * failure); RUHU_ECONFLICT with `diff` filled when it does not fit. */
int audit_apply_changeset(struct audit_apply *ap, ruhu_digest *d, const void *cs, size_t len,
			  struct audit_diff *diff);

/* Compare every record table with `replica`; RUHU_ECORRUPT with `diff`
 * filled at the first difference.  *rows gets the rows that matched. */
int audit_replay_compare(struct audit_replay *rp, sqlite3 *replica, size_t *rows, struct audit_diff *diff);

#endif
