/*
 * core/uuid.h — UUID version 7 (RFC 9562): the time-ordered ids that key
 * every record table (DESIGN decision 2).
 *
 * Design notes
 *  1. Layout (RFC 9562 §5.7), 16 bytes, big-endian:
 *       bits 0-47    unix_ts_ms, milliseconds since 1970-01-01 UTC
 *       bits 48-51   version, 0111
 *       bits 52-63   rand_a (12 bits)
 *       bits 64-65   variant, 10
 *       bits 66-127  rand_b (62 bits)
 *     Text: 36 characters, lowercase hex in 8-4-4-4-12 groups.
 *  2. Monotonic within a process (RFC 9562 §6.2, method 2, "monotonic
 *     random"): the 74 bits rand_a:rand_b are random when the millisecond
 *     moves on; within the same millisecond, or when the wall clock goes
 *     back, the previous id's timestamp is kept and its 74 bits are increased
 *     by a random amount between 1 and 2^32.  When they would overflow, the
 *     timestamp moves one millisecond ahead.  So every id a process makes is
 *     greater (as bytes and as text) than the one before it.  A mutex guards
 *     that state; random bits come from libsodium's randombytes_buf().
 *  3. ids from different devices are unique by their random bits, not by
 *     their order; nothing may assume two devices' ids are ordered in time.
 */
#ifndef RUHU_CORE_UUID_H
#define RUHU_CORE_UUID_H

#include <stddef.h>
#include <stdint.h>

#include "ruhu/common.h"

/** Length of the text form, without the terminator. */
#define RUHU_UUID_TEXT_LEN 36

/** Make a new version 7 UUID (design note 2). */
void ruhu_uuid_v7_bytes(unsigned char out[16]);

/** Make a new version 7 UUID in text form (with a terminator). */
void ruhu_uuid_v7(char out[RUHU_UUID_TEXT_LEN + 1]);

/** As ruhu_uuid_v7_bytes(), with the wall clock given (milliseconds since
 *  1970; for tests and for callers with their own clock).  The process-wide
 *  monotonic state is shared with ruhu_uuid_v7_bytes(). */
void ruhu_uuid_v7_bytes_at(unsigned char out[16], int64_t wall_ms);

/** The text form of 16 bytes (lowercase, with a terminator). */
void ruhu_uuid_format(char out[RUHU_UUID_TEXT_LEN + 1], const unsigned char in[16]);

/** Parse the text form: exactly 36 characters, lowercase hex, hyphens at 8,
 *  13, 18 and 23; any version.  RUHU_EINVALID otherwise. */
int ruhu_uuid_parse(unsigned char out[16], const char *text, size_t len);

/** 1 when `text` (of `len` bytes) is a version 7, variant 10 UUID in the
 *  form ruhu_uuid_v7() writes, else 0. */
int ruhu_uuid_is_v7(const char *text, size_t len);

/** The millisecond timestamp of a version 7 UUID. */
uint64_t ruhu_uuid_v7_ms(const unsigned char in[16]);

#endif
