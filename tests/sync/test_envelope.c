/*
 * test_envelope.c — the signed, encrypted envelope (sync/envelope.h): round
 * trips, every flipped byte and every cut found, wrong keys refused with
 * their messages, no plaintext in the bytes, the header parser's checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/crypto.h"
#include "sync/envelope.h"
#include "support/support.h"

static ruhu_signkey *tab07, *tab08;
static ruhu_boxkey *hub, *other_hub;

static void setup(void)
{
	rt_ok(ruhu_init());
	rt_ok(ruhu_signkey_generate(&tab07));
	rt_ok(ruhu_signkey_generate(&tab08));
	rt_ok(ruhu_boxkey_generate(&hub));
	rt_ok(ruhu_boxkey_generate(&other_hub));
}

static void teardown(void)
{
	ruhu_signkey_free(tab07);
	ruhu_signkey_free(tab08);
	ruhu_boxkey_free(hub);
	ruhu_boxkey_free(other_hub);
}

static void opts_for(ruhu_envelope_opts *o, const ruhu_boxkey *to)
{
	rt_ok(ruhu_envelope_opts_init(o, RUHU_ENVELOPE_OPTS_VERSION));
	o->kind = RUHU_ENVELOPE_DEVICE_BUNDLE;
	o->sender = "tab-07";
	o->recipient = "hub-xinhua";
	o->recipient_key = ruhu_boxkey_public(to);
	o->created = 1790000000;
}

/* A body of `len` bytes that tells its positions apart. */
static unsigned char *body_of(size_t len)
{
	unsigned char *b = malloc(len ? len : 1);

	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char)(i * 31 + (i >> 8));
	return b;
}

static void seal(ruhu_buf *out, const void *body, size_t len)
{
	ruhu_envelope_opts o;

	opts_for(&o, hub);
	ruhu_buf_clear(out);
	rt_ok(ruhu_envelope_seal(out, &o, tab07, body, len));
}

/* Parse and open with the right keys: the code of the first failure. */
static int open_all(ruhu_buf *body, const void *data, size_t len)
{
	ruhu_envelope e;
	int rc;

	rc = ruhu_envelope_parse(&e, data, len);
	if (rc < 0)
		return rc;
	return ruhu_envelope_open(body, &e, ruhu_signkey_public(tab07), hub);
}

START_TEST(test_envelope_round_trip)
{
	static const size_t sizes[] = { 0, 1, 100, 65535, 65536, 65537, 3 * 65536 + 5 };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t len = sizes[k];
		unsigned char *body = body_of(len);
		ruhu_buf env = RUHU_BUF_INIT, out = RUHU_BUF_INIT;
		ruhu_envelope e;
		char keyid[RUHU_KEYID_HEXLEN + 1];

		seal(&env, body, len);
		/* the length of the format table */
		ck_assert_uint_eq(env.size, 48 + 6 + 10 + 80 + 24 + 17 * (len / 65536 + 1) + len + 64);
		rt_ok(ruhu_envelope_parse(&e, env.ptr, env.size));
		ck_assert_uint_eq(e.version, 1);
		ck_assert_uint_eq(e.hash, RUHU_ENVELOPE_HASH_SHA1);
		ck_assert_uint_eq(e.kind, RUHU_ENVELOPE_DEVICE_BUNDLE);
		ck_assert_str_eq(e.sender, "tab-07");
		ck_assert_str_eq(e.recipient, "hub-xinhua");
		ruhu_keyid(keyid, ruhu_boxkey_public(hub));
		ck_assert_str_eq(e.recipient_keyid, keyid);
		ck_assert_int_eq(e.created, 1790000000);
		ck_assert_uint_eq(e.body_size, len);
		rt_ok(ruhu_buf_puts(&out, "kept:"));
		rt_ok(ruhu_envelope_open(&out, &e, ruhu_signkey_public(tab07), hub));
		ck_assert_uint_eq(out.size, 5 + len);
		ck_assert_mem_eq(out.ptr, "kept:", 5);
		if (len)
			ck_assert_mem_eq(out.ptr + 5, body, len);
		ruhu_buf_dispose(&env);
		ruhu_buf_dispose_secure(&out);
		free(body);
	}
}
END_TEST

START_TEST(test_envelope_kinds_and_fields)
{
	ruhu_envelope_opts o;
	ruhu_buf env = RUHU_BUF_INIT, a = RUHU_BUF_INIT;
	ruhu_envelope e;

	ck_assert_str_eq(ruhu_envelope_kind_name(RUHU_ENVELOPE_HUB_REPLY), "hub reply");
	ck_assert_str_eq(ruhu_envelope_kind_name(9), "unknown");
	for (unsigned int kind = 1; kind <= 4; kind++) {
		opts_for(&o, hub);
		o.kind = kind;
		o.sender = "hub-xinhua";
		o.recipient = "tab-07";
		o.created = -5; /* before the epoch: kept as it is */
		ruhu_buf_clear(&env);
		rt_ok(ruhu_envelope_seal(&env, &o, tab07, "x", 1));
		rt_ok(ruhu_envelope_parse(&e, env.ptr, env.size));
		ck_assert_uint_eq(e.kind, kind);
		ck_assert_str_eq(e.sender, "hub-xinhua");
		ck_assert_int_eq(e.created, -5);
	}
	/* a fresh key each time: the same body never gives the same bytes */
	seal(&a, "same", 4);
	seal(&env, "same", 4);
	ck_assert_uint_eq(a.size, env.size);
	ck_assert(memcmp(a.ptr, env.ptr, env.size) != 0);
	ruhu_buf_dispose(&env);
	ruhu_buf_dispose(&a);
}
END_TEST

/* Flip one bit at `at`: parse or open must fail, and `out` stays empty. */
static void assert_flip_found(ruhu_buf *env, size_t at, unsigned char bit)
{
	ruhu_buf out = RUHU_BUF_INIT;
	int rc;

	env->ptr[at] ^= bit;
	rc = open_all(&out, env->ptr, env->size);
	env->ptr[at] ^= bit;
	ck_assert_msg(rc < 0, "flip of bit %02x at byte %zu of %zu not found", bit, at, env->size);
	ck_assert_msg(rc == RUHU_ECORRUPT || rc == RUHU_EAUTH, "flip at %zu gave %d", at, rc);
	ck_assert_uint_eq(out.size, 0);
	ruhu_buf_dispose(&out);
}

START_TEST(test_envelope_every_flipped_byte_found)
{
	unsigned char *body = body_of(300);
	ruhu_buf env = RUHU_BUF_INIT, out = RUHU_BUF_INIT;

	seal(&env, body, 300);
	for (size_t at = 0; at < env.size; at++) {
		assert_flip_found(&env, at, 0x01);
		assert_flip_found(&env, at, 0x80);
	}
	rt_ok(open_all(&out, env.ptr, env.size)); /* and unchanged, it opens */
	ck_assert_mem_eq(out.ptr, body, 300);
	ruhu_buf_dispose(&env);
	ruhu_buf_dispose(&out);
	free(body);
}
END_TEST

START_TEST(test_envelope_flips_in_a_large_envelope_found)
{
	size_t len = 5 * 65536 + 1234, head = 48 + 6 + 10 + 80;
	unsigned char *body = body_of(len);
	ruhu_buf env = RUHU_BUF_INIT;

	seal(&env, body, len);
	for (size_t at = 0; at < env.size; at += 997)
		assert_flip_found(&env, at, 0x04);
	/* around the chunk boundaries of the body, and the end */
	for (size_t c = 0; c <= 5; c++) {
		size_t edge = head + 24 + c * (65536 + 17);

		for (size_t d = 0; d < 20; d++)
			assert_flip_found(&env, edge - 10 + d, 0x10);
	}
	for (size_t at = env.size - 100; at < env.size; at++)
		assert_flip_found(&env, at, 0x02);
	ruhu_buf_dispose(&env);
	free(body);
}
END_TEST

START_TEST(test_envelope_truncation_found)
{
	unsigned char *body = body_of(70000);
	ruhu_buf env = RUHU_BUF_INIT, out = RUHU_BUF_INIT;
	ruhu_envelope e;

	seal(&env, body, 300);
	for (size_t len = 0; len < env.size; len++) {
		ck_assert_msg(ruhu_envelope_parse(&e, env.ptr, len) == RUHU_ECORRUPT,
			"cut at %zu accepted", len);
		ck_assert_ptr_null(e.data_);
	}
	ck_assert_int_eq(ruhu_envelope_parse(&e, env.ptr, 20), RUHU_ECORRUPT);
	ck_assert_str_eq(ruhu_error_last(), "envelope is truncated (20 bytes)");
	ck_assert_int_eq(ruhu_envelope_parse(&e, env.ptr, env.size - 1), RUHU_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "envelope is truncated"));
	/* one byte more */
	rt_ok(ruhu_buf_putc(&env, 0));
	ck_assert_int_eq(ruhu_envelope_parse(&e, env.ptr, env.size), RUHU_ECORRUPT);
	ck_assert_str_eq(ruhu_error_last(), "envelope has 1 bytes after its signature");

	/* a large one cut at whole chunks: still found */
	seal(&env, body, 70000);
	for (size_t cut = 64; cut < env.size; cut += 4099)
		ck_assert_int_eq(open_all(&out, env.ptr, env.size - cut), RUHU_ECORRUPT);
	ck_assert_uint_eq(out.size, 0);
	ruhu_buf_dispose(&env);
	free(body);
}
END_TEST

START_TEST(test_envelope_wrong_recipient_refused)
{
	ruhu_buf env = RUHU_BUF_INIT, out = RUHU_BUF_INIT;
	ruhu_envelope e;
	char msg[200], theirs[RUHU_KEYID_HEXLEN + 1], mine[RUHU_KEYID_HEXLEN + 1];

	seal(&env, "household register", 19);
	rt_ok(ruhu_envelope_parse(&e, env.ptr, env.size));
	ck_assert_int_eq(ruhu_envelope_open(&out, &e, ruhu_signkey_public(tab07), other_hub),
		RUHU_EAUTH);
	ruhu_keyid(theirs, ruhu_boxkey_public(hub));
	ruhu_keyid(mine, ruhu_boxkey_public(other_hub));
	snprintf(msg, sizeof(msg), "envelope from tab-07 is addressed to another recipient "
		"(key id %s, not %s)", theirs, mine);
	ck_assert_str_eq(ruhu_error_last(), msg);
	ck_assert_uint_eq(out.size, 0);
	ruhu_buf_dispose(&env);
}
END_TEST

START_TEST(test_envelope_wrong_sender_refused)
{
	ruhu_buf env = RUHU_BUF_INIT, out = RUHU_BUF_INIT;
	ruhu_envelope e;
	char msg[200], id[RUHU_KEYID_HEXLEN + 1];

	seal(&env, "household register", 19);
	rt_ok(ruhu_envelope_parse(&e, env.ptr, env.size));
	ck_assert_int_eq(ruhu_envelope_open(&out, &e, ruhu_signkey_public(tab08), hub), RUHU_EAUTH);
	ruhu_keyid(id, ruhu_signkey_public(tab08));
	snprintf(msg, sizeof(msg),
		"signature of the envelope from tab-07 does not verify with key %s", id);
	ck_assert_str_eq(ruhu_error_last(), msg);
	ck_assert_uint_eq(out.size, 0);
	ruhu_buf_dispose(&env);
}
END_TEST

/* Re-sign after a change, as a sender gone wrong would: the body's
 * associated data and the sealed key still catch it. */
static int resigned_open(ruhu_buf *env, size_t at)
{
	ruhu_buf out = RUHU_BUF_INIT;
	size_t n = env->size - RUHU_SIGN_BYTES;
	int rc;

	env->ptr[at] ^= 0x01;
	rt_ok(ruhu_signkey_sign((unsigned char *)env->ptr + n, tab07, env->ptr, n));
	rc = open_all(&out, env->ptr, env->size);
	ck_assert_uint_eq(out.size, 0);
	ruhu_buf_dispose(&out);
	return rc;
}

START_TEST(test_envelope_signed_damage_found)
{
	size_t head = 48 + 6 + 10;
	ruhu_buf env = RUHU_BUF_INIT;

	seal(&env, "household register", 19);
	/* created (bytes 16..23): the signature is good, the body's AD is not */
	ck_assert_int_eq(resigned_open(&env, 20), RUHU_ECORRUPT);
	seal(&env, "household register", 19);
	ck_assert_int_eq(resigned_open(&env, head + 10), RUHU_EAUTH); /* sealed key */
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "key of the envelope from tab-07"));
	seal(&env, "household register", 19);
	ck_assert_int_eq(resigned_open(&env, head + 80 + 30), RUHU_ECORRUPT); /* body */
	seal(&env, "household register", 19);
	ck_assert_int_eq(resigned_open(&env, head + 80 + 2), RUHU_ECORRUPT); /* stream header */
	ruhu_buf_dispose(&env);
}
END_TEST

START_TEST(test_envelope_no_plaintext_in_bytes)
{
	const char *marker = "MARKER-110101199003074258-Zhang-Wei";
	ruhu_buf body = RUHU_BUF_INIT, env = RUHU_BUF_INIT;

	for (int i = 0; i < 5000; i++)
		rt_ok(ruhu_buf_printf(&body, "%s %d\n", marker, i));
	seal(&env, body.ptr, body.size);
	for (size_t i = 0; i + 8 <= env.size; i++)
		ck_assert_msg(memcmp(env.ptr + i, marker, 8) != 0, "plaintext at %zu", i);
	ruhu_buf_dispose(&body);
	ruhu_buf_dispose(&env);
}
END_TEST

START_TEST(test_envelope_bad_options_refused)
{
	ruhu_envelope_opts o;
	ruhu_buf env = RUHU_BUF_INIT;

	rt_ok(ruhu_buf_puts(&env, "kept"));
	ck_assert_int_eq(ruhu_envelope_opts_init(&o, 99), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_envelope_seal(&env, NULL, tab07, "x", 1), RUHU_EINVALID);
	opts_for(&o, hub);
	o.kind = 0;
	ck_assert_int_eq(ruhu_envelope_seal(&env, &o, tab07, "x", 1), RUHU_EINVALID);
	ck_assert_str_eq(ruhu_error_last(), "envelope kind 0 is unknown");
	opts_for(&o, hub);
	o.sender = "tab 07";
	ck_assert_int_eq(ruhu_envelope_seal(&env, &o, tab07, "x", 1), RUHU_EINVALID);
	ck_assert_str_eq(ruhu_error_last(), "'tab 07' is not a valid sender id");
	opts_for(&o, hub);
	o.recipient = "";
	ck_assert_int_eq(ruhu_envelope_seal(&env, &o, tab07, "x", 1), RUHU_EINVALID);
	opts_for(&o, hub);
	o.recipient = "h-0123456789012345678901234567890123456789012345678901234567890123";
	ck_assert_int_eq(ruhu_envelope_seal(&env, &o, tab07, "x", 1), RUHU_EINVALID);
	opts_for(&o, hub);
	o.recipient_key = NULL;
	ck_assert_int_eq(ruhu_envelope_seal(&env, &o, tab07, "x", 1), RUHU_EINVALID);
	opts_for(&o, hub);
	o.hash = 2;
	ck_assert_int_eq(ruhu_envelope_seal(&env, &o, tab07, "x", 1), RUHU_EINVALID);
	opts_for(&o, hub);
	ck_assert_int_eq(ruhu_envelope_seal(&env, &o, tab07, "x", (size_t)RUHU_ENVELOPE_MAX_BODY + 1),
		RUHU_EINVALID);
	ck_assert_str_eq(env.ptr, "kept");
	ck_assert(ruhu_envelope_id_valid("tab-07.a_b"));
	ck_assert(!ruhu_envelope_id_valid("tab/07"));
	ck_assert(!ruhu_envelope_id_valid(NULL));
	ruhu_buf_dispose(&env);
}
END_TEST

/* Change one header byte and expect the parser's message. */
static void assert_header_refused(const ruhu_buf *env, size_t at, unsigned char value,
	const char *message)
{
	ruhu_buf copy = RUHU_BUF_INIT;
	ruhu_envelope e;

	rt_ok(ruhu_buf_put(&copy, env->ptr, env->size));
	copy.ptr[at] = (char)value;
	ck_assert_int_eq(ruhu_envelope_parse(&e, copy.ptr, copy.size), RUHU_ECORRUPT);
	ck_assert_str_eq(ruhu_error_last(), message);
	ruhu_buf_dispose(&copy);
}

START_TEST(test_envelope_parse_checks_header)
{
	ruhu_buf env = RUHU_BUF_INIT;
	ruhu_envelope e;

	seal(&env, "x", 1);
	assert_header_refused(&env, 0, 'R', "file is not a ruhu envelope");
	assert_header_refused(&env, 8, 2, "envelope format version 2 is unknown (ruhu reads version 1)");
	assert_header_refused(&env, 9, 2, "envelope hash algorithm 2 is unknown");
	assert_header_refused(&env, 10, 0, "envelope kind 0 is unknown");
	assert_header_refused(&env, 10, 5, "envelope kind 5 is unknown");
	assert_header_refused(&env, 13, 1, "envelope body encoding 1 is unknown");
	assert_header_refused(&env, 14, 1, "envelope reserved bytes are not zero");
	assert_header_refused(&env, 15, 0x80, "envelope reserved bytes are not zero");
	assert_header_refused(&env, 11, 0, "envelope id lengths 0 and 10 are not 1..64");
	assert_header_refused(&env, 12, 65, "envelope id lengths 6 and 65 are not 1..64");
	assert_header_refused(&env, 32, 'A', "envelope recipient key id is not hex");
	assert_header_refused(&env, 48 + 3, ' ', "envelope sender or recipient id is not valid");
	assert_header_refused(&env, 48 + 6, '\n', "envelope sender or recipient id is not valid");
	/* lengths that do not add up */
	assert_header_refused(&env, 11, 7, "envelope is truncated (250 of 251 bytes)");
	assert_header_refused(&env, 31, 0, "envelope has 1 bytes after its signature");
	/* a body over the cap is refused before any length is computed with it */
	assert_header_refused(&env, 28, 0x80, "envelope body of 2147483649 bytes is over the cap");
	assert_header_refused(&env, 24, 0xff, "envelope body of 18374686479671623681 bytes is over "
		"the cap");
	/* bytes changed after parse, signed by the key the caller looked up */
	{
		ruhu_buf out = RUHU_BUF_INIT;
		size_t n = env.size - RUHU_SIGN_BYTES;

		rt_ok(ruhu_envelope_parse(&e, env.ptr, env.size));
		env.ptr[48 + 5] = '8'; /* tab-07 becomes tab-08 */
		rt_ok(ruhu_signkey_sign((unsigned char *)env.ptr + n, tab07, env.ptr, n));
		ck_assert_int_eq(ruhu_envelope_open(&out, &e, ruhu_signkey_public(tab07), hub),
			RUHU_EINVALID);
		ck_assert_str_eq(ruhu_error_last(), "envelope changed between parse and open");
		ck_assert_uint_eq(out.size, 0);
	}
	/* open refuses what parse did not fill */
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(ruhu_envelope_open(&env, &e, ruhu_signkey_public(tab07), hub),
		RUHU_EINVALID);
	ruhu_buf_dispose(&env);
}
END_TEST

Suite *envelope_suite(void)
{
	Suite *s = suite_create("envelope");
	TCase *tc = tcase_create("envelope");
	TCase *damage = tcase_create("damage");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_envelope_round_trip);
	tcase_add_test(tc, test_envelope_kinds_and_fields);
	tcase_add_test(tc, test_envelope_wrong_recipient_refused);
	tcase_add_test(tc, test_envelope_wrong_sender_refused);
	tcase_add_test(tc, test_envelope_no_plaintext_in_bytes);
	tcase_add_test(tc, test_envelope_bad_options_refused);
	tcase_add_test(tc, test_envelope_parse_checks_header);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(damage, setup, teardown);
	tcase_add_test(damage, test_envelope_every_flipped_byte_found);
	tcase_add_test(damage, test_envelope_flips_in_a_large_envelope_found);
	tcase_add_test(damage, test_envelope_truncation_found);
	tcase_add_test(damage, test_envelope_signed_damage_found);
	suite_add_tcase(s, damage);
	return s;
}
