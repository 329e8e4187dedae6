/*
 * uuid.c — UUID version 7 with monotonic random bits (see uuid.h).
 *
 * Design notes
 *  1. The process-wide state is the last id's timestamp and its 74 random
 *     bits, kept as rand_a (12 bits) and rand_b (62 bits); the mutex makes
 *     "read state, step, write state" one step for every thread.
 *  2. Nothing here can fail: randombytes_buf() does not (libsodium aborts
 *     the process only when the system's random source is missing, which
 *     ruhu_init() has already checked through sodium_init()).
 */
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "core/hlc.h"
#include "core/uuid.h"

#define RAND_B_LIMIT (UINT64_C(1) << 62)
#define RAND_A_LIMIT 4096u

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t last_ms;
static uint64_t rand_a, rand_b;
static int started;

static void fresh_random(void)
{
	unsigned char r[10];

	randombytes_buf(r, sizeof(r));
	rand_a = ((uint64_t)r[0] << 8 | r[1]) & (RAND_A_LIMIT - 1);
	rand_b = 0;
	for (int i = 2; i < 10; i++)
		rand_b = rand_b << 8 | r[i];
	rand_b &= RAND_B_LIMIT - 1;
}

void ruhu_uuid_v7_bytes_at(unsigned char out[16], int64_t wall_ms)
{
	uint64_t ms = wall_ms < 0 ? 0 : (uint64_t)wall_ms;
	uint32_t step;

	if (ms > RUHU_HLC_MAX_MS)
		ms = RUHU_HLC_MAX_MS;
	pthread_mutex_lock(&lock);
	if (!started || ms > last_ms) {
		last_ms = ms;
		fresh_random();
		started = 1;
	} else {
		/* same millisecond, or the clock went back: count on (note 2 of uuid.h) */
		randombytes_buf(&step, sizeof(step));
		rand_b += (uint64_t)step + 1;
		if (rand_b >= RAND_B_LIMIT) {
			rand_b -= RAND_B_LIMIT;
			if (++rand_a == RAND_A_LIMIT) {
				last_ms++;
				fresh_random();
			}
		}
	}
	for (int i = 0; i < 6; i++)
		out[i] = (unsigned char)(last_ms >> (8 * (5 - i)));
	out[6] = (unsigned char)(0x70 | (rand_a >> 8));
	out[7] = (unsigned char)rand_a;
	out[8] = (unsigned char)(0x80 | (rand_b >> 56));
	for (int i = 9; i < 16; i++)
		out[i] = (unsigned char)(rand_b >> (8 * (15 - i)));
	pthread_mutex_unlock(&lock);
}

void ruhu_uuid_v7_bytes(unsigned char out[16])
{
	ruhu_uuid_v7_bytes_at(out, ruhu_wallclock_system(NULL));
}

void ruhu_uuid_format(char out[RUHU_UUID_TEXT_LEN + 1], const unsigned char in[16])
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[in[i] >> 4];
		out[k++] = hex[in[i] & 15];
	}
	out[k] = '\0';
}

void ruhu_uuid_v7(char out[RUHU_UUID_TEXT_LEN + 1])
{
	unsigned char b[16];

	ruhu_uuid_v7_bytes(b);
	ruhu_uuid_format(out, b);
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parse without setting the last error: 0 or -1. */
static int parse(unsigned char out[16], const char *text, size_t len)
{
	unsigned char b[16];
	size_t k = 0;

	if (text == NULL || len != RUHU_UUID_TEXT_LEN)
		return -1;
	for (int i = 0; i < 16; i++) {
		int hi, lo;

		if (k == 8 || k == 13 || k == 18 || k == 23) {
			if (text[k] != '-')
				break;
			k++;
		}
		hi = nibble(text[k]);
		lo = nibble(text[k + 1]);
		if (hi < 0 || lo < 0)
			break;
		b[i] = (unsigned char)(hi << 4 | lo);
		k += 2;
	}
	if (k != RUHU_UUID_TEXT_LEN)
		return -1;
	memcpy(out, b, sizeof(b));
	return 0;
}

int ruhu_uuid_parse(unsigned char out[16], const char *text, size_t len)
{
	if (parse(out, text, len) < 0)
		return ruhu_error_set(RUHU_EINVALID, "id is not a uuid of 36 lowercase characters");
	return 0;
}

int ruhu_uuid_is_v7(const char *text, size_t len)
{
	unsigned char b[16];

	if (parse(b, text, len) < 0)
		return 0;
	return (b[6] >> 4) == 7 && (b[8] >> 6) == 2;
}

uint64_t ruhu_uuid_v7_ms(const unsigned char in[16])
{
	uint64_t ms = 0;

	for (int i = 0; i < 6; i++)
		ms = ms << 8 | in[i];
	return ms;
}
