/*
 * test_crypto.c — keys, sealed boxes, stream encryption, hashes and
 * encodings (core/crypto.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/crypto.h"
#include "support/support.h"

static void setup(void)
{
	rt_ok(ruhu_init());
}

static void hex(char *out, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

START_TEST(test_crypto_sign_verify_and_tamper)
{
	ruhu_signkey *key = NULL;
	unsigned char sig[RUHU_SIGN_BYTES];
	const char msg[] = "visit 0190 closed by worker 3302";

	rt_ok(ruhu_signkey_generate(&key));
	rt_ok(ruhu_signkey_sign(sig, key, msg, sizeof(msg)));
	rt_ok(ruhu_sign_verify(sig, msg, sizeof(msg), ruhu_signkey_public(key)));
	sig[10] ^= 1;
	ck_assert_int_eq(ruhu_sign_verify(sig, msg, sizeof(msg), ruhu_signkey_public(key)),
		RUHU_EAUTH);
	sig[10] ^= 1;
	ck_assert_int_eq(ruhu_sign_verify(sig, msg, sizeof(msg) - 1, ruhu_signkey_public(key)),
		RUHU_EAUTH);
	ck_assert_ptr_null(strstr(ruhu_error_last(), "\n"));
	ruhu_signkey_free(key);
	ruhu_signkey_free(NULL);
}
END_TEST

START_TEST(test_crypto_key_serialisation_round_trip)
{
	ruhu_signkey *key = NULL, *back = NULL;
	ruhu_boxkey *box = NULL, *boxback = NULL;
	unsigned char rec[RUHU_KEY_STOREBYTES], s1[RUHU_SIGN_BYTES], s2[RUHU_SIGN_BYTES];

	rt_ok(ruhu_signkey_generate(&key));
	rt_ok(ruhu_signkey_save(rec, key));
	rt_ok(ruhu_signkey_load(&back, rec, sizeof(rec)));
	ck_assert_mem_eq(ruhu_signkey_public(key), ruhu_signkey_public(back), 32);
	/* Ed25519 is deterministic: the loaded key makes the same signature */
	rt_ok(ruhu_signkey_sign(s1, key, "x", 1));
	rt_ok(ruhu_signkey_sign(s2, back, "x", 1));
	ck_assert_mem_eq(s1, s2, sizeof(s1));
	ruhu_signkey_free(back);
	back = NULL;

	/* a damaged record, a short one, one of the other kind: refused */
	rec[50] ^= 0x40;
	ck_assert_int_eq(ruhu_signkey_load(&back, rec, sizeof(rec)), RUHU_ECORRUPT);
	ck_assert_ptr_null(back);
	rec[50] ^= 0x40;
	ck_assert_int_eq(ruhu_signkey_load(&back, rec, sizeof(rec) - 1), RUHU_ECORRUPT);
	ck_assert_int_eq(ruhu_boxkey_load(&boxback, rec, sizeof(rec)), RUHU_ECORRUPT);

	rt_ok(ruhu_boxkey_generate(&box));
	rt_ok(ruhu_boxkey_save(rec, box));
	rt_ok(ruhu_boxkey_load(&boxback, rec, sizeof(rec)));
	ck_assert_mem_eq(ruhu_boxkey_public(box), ruhu_boxkey_public(boxback), 32);
	rec[9] ^= 1;
	ruhu_boxkey_free(boxback);
	ck_assert_int_eq(ruhu_boxkey_load(&boxback, rec, sizeof(rec)), RUHU_ECORRUPT);
	ck_assert_ptr_null(boxback);
	ruhu_memzero(rec, sizeof(rec));
	ruhu_boxkey_free(box);
	ruhu_signkey_free(key);
}
END_TEST

START_TEST(test_crypto_seed_is_deterministic)
{
	unsigned char seed[RUHU_SEEDBYTES];
	ruhu_signkey *a = NULL, *b = NULL;
	char id[RUHU_KEYID_HEXLEN + 1];

	memset(seed, 7, sizeof(seed));
	rt_ok(ruhu_signkey_from_seed(&a, seed));
	rt_ok(ruhu_signkey_from_seed(&b, seed));
	ck_assert_mem_eq(ruhu_signkey_public(a), ruhu_signkey_public(b), 32);
	/* libsodium's secret key is seed || public key, the OpenSSH layout */
	ck_assert_mem_eq(ruhu_signkey_secret(a), seed, 32);
	ck_assert_mem_eq(ruhu_signkey_secret(a) + 32, ruhu_signkey_public(a), 32);
	ruhu_keyid(id, ruhu_signkey_public(a));
	ck_assert_uint_eq(strlen(id), RUHU_KEYID_HEXLEN);
	ck_assert_uint_eq(strspn(id, "0123456789abcdef"), RUHU_KEYID_HEXLEN);
	ruhu_signkey_free(a);
	ruhu_signkey_free(b);
}
END_TEST

START_TEST(test_crypto_seal_open_and_tamper)
{
	ruhu_boxkey *box = NULL, *other = NULL;
	ruhu_buf sealed = RUHU_BUF_INIT;
	unsigned char secret[32], opened[32];

	ruhu_random(secret, sizeof(secret));
	rt_ok(ruhu_boxkey_generate(&box));
	rt_ok(ruhu_boxkey_generate(&other));
	rt_ok(ruhu_box_seal(&sealed, secret, sizeof(secret), ruhu_boxkey_public(box)));
	ck_assert_uint_eq(sealed.size, sizeof(secret) + RUHU_BOX_SEALBYTES);
	rt_ok(ruhu_box_open(opened, sizeof(opened), sealed.ptr, sealed.size, box));
	ck_assert_mem_eq(opened, secret, sizeof(secret));

	ck_assert_int_eq(ruhu_box_open(opened, sizeof(opened), sealed.ptr, sealed.size, other),
		RUHU_EAUTH);
	sealed.ptr[sealed.size - 1] ^= 1;
	ck_assert_int_eq(ruhu_box_open(opened, sizeof(opened), sealed.ptr, sealed.size, box),
		RUHU_EAUTH);
	ck_assert_int_eq(ruhu_box_open(opened, sizeof(opened) - 1, sealed.ptr, sealed.size, box),
		RUHU_EINVALID);
	ck_assert_int_eq(ruhu_box_open(opened, 0, sealed.ptr, 10, box), RUHU_EINVALID);
	ruhu_buf_dispose_secure(&sealed);
	ruhu_boxkey_free(box);
	ruhu_boxkey_free(other);
}
END_TEST

START_TEST(test_crypto_stream_round_trip)
{
	static const size_t sizes[] = { 0, 1, RUHU_STREAM_CHUNK - 1, RUHU_STREAM_CHUNK,
					RUHU_STREAM_CHUNK + 1, 3 * RUHU_STREAM_CHUNK + 5 };
	unsigned char key[RUHU_STREAM_KEYBYTES];
	unsigned char *plain = malloc(4 * RUHU_STREAM_CHUNK);

	ck_assert_ptr_nonnull(plain);
	ruhu_random(key, sizeof(key));
	ruhu_random(plain, 4 * RUHU_STREAM_CHUNK);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ruhu_buf enc = RUHU_BUF_INIT, dec = RUHU_BUF_INIT;
		size_t chunks = sizes[i] / RUHU_STREAM_CHUNK + 1;

		rt_ok(ruhu_stream_encrypt(&enc, key, plain, sizes[i], "env", 3));
		ck_assert_uint_eq(enc.size,
			RUHU_STREAM_HEADERBYTES + chunks * RUHU_STREAM_ABYTES + sizes[i]);
		rt_ok(ruhu_stream_decrypt(&dec, key, enc.ptr, enc.size, "env", 3));
		ck_assert_uint_eq(dec.size, sizes[i]);
		if (sizes[i])
			ck_assert_mem_eq(dec.ptr, plain, sizes[i]);
		ruhu_buf_dispose(&enc);
		ruhu_buf_dispose(&dec);
	}
	free(plain);
}
END_TEST

START_TEST(test_crypto_stream_truncation_detected)
{
	unsigned char key[RUHU_STREAM_KEYBYTES];
	size_t len = 2 * RUHU_STREAM_CHUNK + 100, chunk = RUHU_STREAM_CHUNK + RUHU_STREAM_ABYTES;
	unsigned char *plain = calloc(1, len);
	ruhu_buf enc = RUHU_BUF_INIT, dec = RUHU_BUF_INIT;

	ck_assert_ptr_nonnull(plain);
	ruhu_random(key, sizeof(key));
	rt_ok(ruhu_stream_encrypt(&enc, key, plain, len, NULL, 0));
	rt_ok(ruhu_buf_puts(&dec, "kept"));

	/* cut exactly after a whole chunk: no final tag seen */
	ck_assert_int_eq(ruhu_stream_decrypt(&dec, key, enc.ptr, RUHU_STREAM_HEADERBYTES + chunk,
		NULL, 0), RUHU_ECORRUPT);
	ck_assert_str_eq(ruhu_error_last(), "encrypted stream is truncated");
	ck_assert_int_eq(ruhu_stream_decrypt(&dec, key, enc.ptr,
		RUHU_STREAM_HEADERBYTES + 2 * chunk, NULL, 0), RUHU_ECORRUPT);
	/* cut inside a chunk, cut to the header, extended, altered, other data */
	ck_assert_int_eq(ruhu_stream_decrypt(&dec, key, enc.ptr, enc.size - 1, NULL, 0),
		RUHU_ECORRUPT);
	ck_assert_int_eq(ruhu_stream_decrypt(&dec, key, enc.ptr, RUHU_STREAM_HEADERBYTES, NULL, 0),
		RUHU_ECORRUPT);
	rt_ok(ruhu_buf_putc(&enc, 'x'));
	ck_assert_int_eq(ruhu_stream_decrypt(&dec, key, enc.ptr, enc.size, NULL, 0), RUHU_ECORRUPT);
	ruhu_buf_truncate(&enc, enc.size - 1);
	enc.ptr[RUHU_STREAM_HEADERBYTES + chunk + 5] ^= 1;
	ck_assert_int_eq(ruhu_stream_decrypt(&dec, key, enc.ptr, enc.size, NULL, 0), RUHU_ECORRUPT);
	enc.ptr[RUHU_STREAM_HEADERBYTES + chunk + 5] ^= 1;
	ck_assert_int_eq(ruhu_stream_decrypt(&dec, key, enc.ptr, enc.size, "ad", 2), RUHU_ECORRUPT);
	/* the output buffer is left as it was after every failure */
	ck_assert_str_eq(dec.ptr, "kept");
	rt_ok(ruhu_stream_decrypt(&dec, key, enc.ptr, enc.size, NULL, 0));
	ck_assert_uint_eq(dec.size, 4 + len);
	ruhu_buf_dispose(&enc);
	ruhu_buf_dispose(&dec);
	free(plain);
}
END_TEST

START_TEST(test_crypto_hashes_match_known_vectors)
{
	unsigned char h[64], h2[64];
	char x[129];
	ruhu_hash_state st;

	ruhu_hash_sha256(h, "abc", 3);
	hex(x, h, 32);
	ck_assert_str_eq(x, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ruhu_hash_sha512(h, "abc", 3);
	hex(x, h, 64);
	ck_assert_str_eq(x, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
			    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	rt_ok(ruhu_hash_blake2b(h, 64, "abc", 3, NULL, 0));
	hex(x, h, 64);
	ck_assert_str_eq(x, "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
			    "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
	ck_assert_int_eq(ruhu_hash_blake2b(h, 8, "abc", 3, NULL, 0), RUHU_EINVALID);

	/* incremental equals one-shot for every kind */
	rt_ok(ruhu_hash_init(&st, RUHU_HASH_BLAKE2B, 32));
	ruhu_hash_update(&st, "a", 1);
	ruhu_hash_update(&st, "bc", 2);
	ruhu_hash_final(&st, h2);
	rt_ok(ruhu_hash_blake2b(h, 32, "abc", 3, NULL, 0));
	ck_assert_mem_eq(h, h2, 32);
	rt_ok(ruhu_hash_init(&st, RUHU_HASH_SHA512, 0));
	ruhu_hash_update(&st, "ab", 2);
	ruhu_hash_update(&st, "c", 1);
	ruhu_hash_final(&st, h2);
	ruhu_hash_sha512(h, "abc", 3);
	ck_assert_mem_eq(h, h2, 64);
	rt_ok(ruhu_hash_init(&st, RUHU_HASH_SHA256, 0));
	ruhu_hash_update(&st, "abc", 3);
	ruhu_hash_final(&st, h2);
	ruhu_hash_sha256(h, "abc", 3);
	ck_assert_mem_eq(h, h2, 32);
	ck_assert_int_eq(ruhu_hash_init(&st, (ruhu_hash_kind)9, 0), RUHU_EINVALID);
}
END_TEST

START_TEST(test_crypto_base64_round_trip)
{
	ruhu_buf b = RUHU_BUF_INIT, d = RUHU_BUF_INIT;
	unsigned char bytes[100];

	rt_ok(ruhu_base64_encode(&b, "foob", 4));
	ck_assert_str_eq(b.ptr, "Zm9vYg==");
	rt_ok(ruhu_base64_decode(&d, "Zm9v\nYg==\n", 10, "\n"));
	ck_assert_uint_eq(d.size, 4);
	ck_assert_mem_eq(d.ptr, "foob", 4);
	ck_assert_int_eq(ruhu_base64_decode(&d, "Zm9*", 4, NULL), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_base64_decode(&d, "Zm9vY", 5, NULL), RUHU_EINVALID);
	ck_assert_uint_eq(d.size, 4);
	ruhu_random(bytes, sizeof(bytes));
	ruhu_buf_clear(&b);
	ruhu_buf_clear(&d);
	rt_ok(ruhu_base64_encode(&b, bytes, sizeof(bytes)));
	rt_ok(ruhu_base64_decode(&d, b.ptr, b.size, NULL));
	ck_assert_uint_eq(d.size, sizeof(bytes));
	ck_assert_mem_eq(d.ptr, bytes, sizeof(bytes));
	ck_assert(ruhu_memequal(d.ptr, bytes, sizeof(bytes)));
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&d);
}
END_TEST

static size_t mappings(void)
{
	size_t len, n = 0;
	unsigned char *maps = rt_read_file("/proc/self/maps", &len);

	for (size_t i = 0; i < len; i++)
		n += maps[i] == '\n';
	free(maps);
	return n;
}

/*
 * Keys live in sodium_malloc pages (guard pages, mmap), which the leak
 * sanitizer does not see: count the process's mappings instead.  A key pair
 * that _free did not release would leave its pages mapped.
 */
START_TEST(test_crypto_secret_memory_released)
{
	size_t before, after;

	/* warm up: the first key may map libsodium's own pages */
	for (int i = 0; i < 4; i++) {
		ruhu_signkey *k = NULL;
		ruhu_boxkey *b = NULL;

		rt_ok(ruhu_signkey_generate(&k));
		rt_ok(ruhu_boxkey_generate(&b));
		ruhu_signkey_free(k);
		ruhu_boxkey_free(b);
	}
	before = mappings();
	for (int i = 0; i < 500; i++) {
		ruhu_signkey *k = NULL;
		ruhu_boxkey *b = NULL;
		unsigned char rec[RUHU_KEY_STOREBYTES];
		ruhu_signkey *back = NULL;

		rt_ok(ruhu_signkey_generate(&k));
		rt_ok(ruhu_boxkey_generate(&b));
		rt_ok(ruhu_signkey_save(rec, k));
		rt_ok(ruhu_signkey_load(&back, rec, sizeof(rec)));
		ruhu_memzero(rec, sizeof(rec));
		ruhu_signkey_free(k);
		ruhu_signkey_free(back);
		ruhu_boxkey_free(b);
	}
	after = mappings();
	ck_assert_msg(after < before + 50, "mappings grew from %zu to %zu", before, after);
}
END_TEST

Suite *crypto_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("crypto");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_crypto_sign_verify_and_tamper);
	tcase_add_test(tc, test_crypto_key_serialisation_round_trip);
	tcase_add_test(tc, test_crypto_seed_is_deterministic);
	tcase_add_test(tc, test_crypto_seal_open_and_tamper);
	tcase_add_test(tc, test_crypto_stream_round_trip);
	tcase_add_test(tc, test_crypto_stream_truncation_detected);
	tcase_add_test(tc, test_crypto_hashes_match_known_vectors);
	tcase_add_test(tc, test_crypto_base64_round_trip);
	tcase_add_test(tc, test_crypto_secret_memory_released);
	suite_add_tcase(s, tc);
	return s;
}
