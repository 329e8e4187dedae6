/*
 * core/hlc.h — the hybrid logical clock of a replica: timestamps that follow
 * the wall clock, never go back, and order every event a replica has seen
 * after the events it saw (commit trailers, `lww` conflict rules).
 *
 * Design notes
 *  1. A timestamp is 64 bits: 48 bits of wall-clock milliseconds since
 *     1970-01-01 UTC, shifted left 16, or'ed with a 16-bit counter.  Plain
 *     integer comparison orders timestamps.
 *  2. Local event (ruhu_hlc_tick): if the wall clock is past the last
 *     timestamp's milliseconds, (wall, 0); else (last.ms, last.counter + 1).
 *     Remote timestamp (ruhu_hlc_merge): ms = max(last.ms, remote.ms, wall);
 *     the counter is one more than the largest counter among those at that
 *     ms (0 when only the wall clock is).  A counter past 0xffff moves to the
 *     next millisecond with counter 0: the clock then runs 1 ms ahead of the
 *     wall and catches up when the wall clock passes it.
 *  3. A remote timestamp more than RUHU_HLC_MAX_AHEAD_MS (24 h) beyond the
 *     local wall clock is capped to wall + 24 h and RUHU_HLC_CAPPED is
 *     reported: one tablet with a wrong clock cannot drag every replica into
 *     the future.  The result is then not above the remote timestamp.  The
 *     clock never goes back: when its own last value is already more than
 *     24 h ahead of the wall clock (a clock set wrong earlier), the step still
 *     counts on from it and RUHU_HLC_AHEAD is reported.
 *  4. The last timestamp is kept in the replica's `_meta` table (key `hlc`,
 *     an INTEGER holding the 64 bits as a signed value), written inside the
 *     caller's transaction, so the clock is monotonic across restarts and
 *     when the wall clock is set back.  A timestamp handed out in a
 *     transaction that rolls back may be handed out again.
 *  5. Text form for commit trailers (frozen): `2026-11-26T23:14:13.123Z+0005`,
 *     UTC, milliseconds, then the counter as 4 lowercase hex digits; exactly
 *     RUHU_HLC_TEXT_LEN characters, years 1970 to 9999.  The parser accepts
 *     only this form, so text and value map one to one.
 */
#ifndef RUHU_CORE_HLC_H
#define RUHU_CORE_HLC_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "ruhu/common.h"

#define RUHU_HLC_MAX_MS ((UINT64_C(1) << 48) - 1)
#define RUHU_HLC_MAX_COUNTER 0xffffu
/** How far a remote timestamp may be ahead of the local wall clock (24 h). */
#define RUHU_HLC_MAX_AHEAD_MS (UINT64_C(24) * 60 * 60 * 1000)
/** Length of the text form, without the terminator. */
#define RUHU_HLC_TEXT_LEN 29

/** Flags reported by the steps (design note 3). */
#define RUHU_HLC_CAPPED 0x1u  /**< a remote timestamp was capped */
#define RUHU_HLC_AHEAD  0x2u  /**< the clock is more than 24 h ahead of the wall */

static inline uint64_t ruhu_hlc_ms(uint64_t hlc)
{
	return hlc >> 16;
}

static inline unsigned int ruhu_hlc_counter(uint64_t hlc)
{
	return (unsigned int)(hlc & 0xffff);
}

static inline uint64_t ruhu_hlc_make(uint64_t ms, unsigned int counter)
{
	return (ms << 16) | (counter & 0xffff);
}

/** A wall clock: milliseconds since 1970-01-01 UTC. */
typedef int64_t (*ruhu_wallclock_fn)(void *payload);

/** The wall clock the persisted functions read; NULL means the system's. */
typedef struct {
	ruhu_wallclock_fn now_ms;
	void *payload;
} ruhu_wallclock;

/** The system's wall clock (CLOCK_REALTIME) in milliseconds. */
int64_t ruhu_wallclock_system(void *payload);

/**
 * The pure steps of design note 2.  `wall_ms` below 0 counts as 0 and above
 * RUHU_HLC_MAX_MS as RUHU_HLC_MAX_MS.  `*flags` (may be NULL) gets the flags
 * of note 3.  They fail (RUHU_ERROR) only when the clock would pass
 * RUHU_HLC_MAX_MS, in the year 10889.
 */
int ruhu_hlc_tick(uint64_t *out, unsigned int *flags, uint64_t last, int64_t wall_ms);
int ruhu_hlc_merge(uint64_t *out, unsigned int *flags, uint64_t last, uint64_t remote,
		   int64_t wall_ms);

/** The last timestamp kept in `_meta`, or 0 when there is none yet;
 *  RUHU_ECORRUPT when the stored value is not an integer. */
int ruhu_hlc_load(uint64_t *out, sqlite3 *db);

/** A timestamp for a local event, persisted in `_meta` (design note 4). */
int ruhu_hlc_now(uint64_t *out, unsigned int *flags, sqlite3 *db, const ruhu_wallclock *clock);

/** Merge a remote timestamp into the clock, persisted in `_meta`; `*out`
 *  (may be NULL) gets the new clock value. */
int ruhu_hlc_observe(uint64_t *out, unsigned int *flags, sqlite3 *db,
		     const ruhu_wallclock *clock, uint64_t remote);

/** The text form (design note 5); RUHU_EINVALID for a time past 9999. */
int ruhu_hlc_format(char out[RUHU_HLC_TEXT_LEN + 1], uint64_t hlc);

/** Parse the text form; RUHU_EINVALID naming the problem otherwise. */
int ruhu_hlc_parse(uint64_t *out, const char *text, size_t len);

#endif
