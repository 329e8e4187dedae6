/*
 * test_sshsig.c — OpenSSH signatures (core/sshsig.h), checked against
 * OpenSSH's own ssh-keygen in both directions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sshsig.h"
#include "support/support.h"

static char dir[4096];
static ruhu_signkey *key;

static void setup(void)
{
	unsigned char seed[RUHU_SEEDBYTES];

	rt_ok(ruhu_init());
	rt_tmpdir(dir, sizeof(dir));
	memset(seed, 42, sizeof(seed));
	rt_ok(ruhu_signkey_from_seed(&key, seed));
}

static void teardown(void)
{
	ruhu_signkey_free(key);
	key = NULL;
	rt_rmrf(dir);
}

static void write_in(const char *name, const void *data, size_t len)
{
	char path[4200];

	rt_path(path, sizeof(path), dir, name);
	rt_write_file(path, data, len);
}

START_TEST(test_sshsig_round_trip_and_armour)
{
	ruhu_buf sig = RUHU_BUF_INIT;
	unsigned char who[32];
	const char data[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n";
	int lines = 0;

	rt_ok(ruhu_sshsig_sign(&sig, key, RUHU_SSHSIG_GIT, data, strlen(data)));
	ck_assert(!strncmp(sig.ptr, "-----BEGIN SSH SIGNATURE-----\n", 30));
	ck_assert_str_eq(sig.ptr + sig.size - 27, "-----END SSH SIGNATURE-----");
	ck_assert_int_ne(sig.ptr[sig.size - 1], '\n');
	rt_ok(ruhu_sshsig_verify(who, sig.ptr, sig.size, RUHU_SSHSIG_GIT, data, strlen(data)));
	ck_assert_mem_eq(who, ruhu_signkey_public(key), 32);

	/* other data, other namespace: not good, but the signer is named */
	memset(who, 0, sizeof(who));
	ck_assert_int_eq(ruhu_sshsig_verify(who, sig.ptr, sig.size, RUHU_SSHSIG_GIT, data, 10),
		RUHU_EAUTH);
	ck_assert_mem_eq(who, ruhu_signkey_public(key), 32);
	ck_assert_int_eq(ruhu_sshsig_verify(NULL, sig.ptr, sig.size, "file", data, strlen(data)),
		RUHU_EAUTH);

	/* base64 lines of 70 characters, as ssh-keygen writes them */
	for (const char *line = sig.ptr; line; lines++) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		if (line[0] != '-')
			ck_assert_uint_le(n, 70);
		line = nl ? nl + 1 : NULL;
	}
	ck_assert_int_ge(lines, 5);
	ruhu_buf_dispose(&sig);
}
END_TEST

START_TEST(test_sshsig_ssh_keygen_accepts_ours)
{
	ruhu_buf sig = RUHU_BUF_INIT, allowed = RUHU_BUF_INIT;
	const char data[] = "caseworker 3302 closed visit 0190\n";
	char *out = NULL;

	rt_ok(ruhu_sshsig_sign(&sig, key, RUHU_SSHSIG_GIT, data, strlen(data)));
	rt_ok(ruhu_buf_putc(&sig, '\n'));
	rt_ok(ruhu_sshsig_allowed_signer_line(&allowed, "tab-07@township", ruhu_signkey_public(key), 0));
	rt_ok(ruhu_buf_putc(&allowed, '\n'));
	write_in("data", data, strlen(data));
	write_in("data.sig", sig.ptr, sig.size);
	write_in("allowed", allowed.ptr, allowed.size);
	ck_assert_int_eq(rt_sh(&out, "cd '%s' && ssh-keygen -Y verify -f allowed -I tab-07@township "
		"-n git -s data.sig < data 2>&1", dir), 0);
	ck_assert_ptr_nonnull(strstr(out, "Good \"git\" signature for tab-07@township"));
	free(out);
	/* and refuses it over other data */
	ck_assert_int_ne(rt_sh(NULL, "cd '%s' && echo other | ssh-keygen -Y verify -f allowed "
		"-I tab-07@township -n git -s data.sig >/dev/null 2>&1", dir), 0);
	ruhu_buf_dispose(&sig);
	ruhu_buf_dispose(&allowed);
}
END_TEST

START_TEST(test_sshsig_ours_accepts_ssh_keygen)
{
	const char data[] = "hub main at 0f3a\n";
	size_t slen, plen;
	unsigned char *sig, *pub, pk[32], who[32];
	char path[4200];

	write_in("data", data, strlen(data));
	ck_assert_int_eq(rt_sh(NULL, "cd '%s' && ssh-keygen -q -t ed25519 -N '' -C hub -f key && "
		"ssh-keygen -q -Y sign -f key -n git data", dir), 0);
	rt_path(path, sizeof(path), dir, "data.sig");
	sig = rt_read_file(path, &slen);
	rt_path(path, sizeof(path), dir, "key.pub");
	pub = rt_read_file(path, &plen);
	rt_ok(ruhu_sshsig_pubkey_parse(pk, (char *)pub, plen));
	rt_ok(ruhu_sshsig_verify(who, (char *)sig, slen, RUHU_SSHSIG_GIT, data, strlen(data)));
	ck_assert_mem_eq(who, pk, 32);
	ck_assert_int_eq(ruhu_sshsig_verify(who, (char *)sig, slen, RUHU_SSHSIG_GIT, data, 3),
		RUHU_EAUTH);
	free(sig);
	free(pub);
}
END_TEST

START_TEST(test_sshsig_public_key_lines)
{
	ruhu_buf line = RUHU_BUF_INIT;
	unsigned char pk[32];
	char *out = NULL;

	rt_ok(ruhu_sshsig_pubkey_line(&line, ruhu_signkey_public(key), "tab-07"));
	ck_assert(!strncmp(line.ptr, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37));
	rt_ok(ruhu_sshsig_pubkey_parse(pk, line.ptr, line.size));
	ck_assert_mem_eq(pk, ruhu_signkey_public(key), 32);
	rt_ok(ruhu_buf_putc(&line, '\n'));
	write_in("key.pub", line.ptr, line.size);
	/* ssh-keygen reads it as an ED25519 key */
	ck_assert_int_eq(rt_sh(&out, "ssh-keygen -l -f '%s/key.pub'", dir), 0);
	ck_assert_ptr_nonnull(strstr(out, "(ED25519)"));
	free(out);

	ck_assert_int_eq(ruhu_sshsig_pubkey_parse(pk, "ssh-rsa AAAA", 12), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_sshsig_pubkey_parse(pk, "ssh-ed25519 AAAA", 16), RUHU_EINVALID);
	ruhu_buf_clear(&line);
	rt_ok(ruhu_sshsig_allowed_signer_line(&line, "worker-3302@hub", ruhu_signkey_public(key), 0));
	ck_assert(!strncmp(line.ptr, "worker-3302@hub ssh-ed25519 AAAA", 32));
	ck_assert_int_eq(ruhu_sshsig_allowed_signer_line(&line, "two words",
		ruhu_signkey_public(key), 0), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_sshsig_allowed_signer_line(&line, "*", ruhu_signkey_public(key), 0),
		RUHU_EINVALID);
	ck_assert_int_eq(ruhu_sshsig_allowed_signer_line(&line, "", ruhu_signkey_public(key), 0),
		RUHU_EINVALID);
	ck_assert_int_eq(ruhu_sshsig_pubkey_line(&line, ruhu_signkey_public(key), "a\nb"),
		RUHU_EINVALID);
	ruhu_buf_dispose(&line);
}
END_TEST

/* The line for a key revoked at `ms`, up to the key. */
static void valid_before_line(char *out, size_t size, int64_t ms)
{
	ruhu_buf line = RUHU_BUF_INIT;
	const char *key_at;

	rt_ok(ruhu_sshsig_allowed_signer_line(&line, "tab-07@320102", ruhu_signkey_public(key), ms));
	key_at = strstr(line.ptr, "ssh-ed25519 AAAA");
	ck_assert_ptr_nonnull(key_at);
	snprintf(out, size, "%.*s", (int)(key_at - line.ptr), line.ptr);
	ruhu_buf_dispose(&line);
}

START_TEST(test_sshsig_allowed_signer_valid_before)
{
	ruhu_buf sig = RUHU_BUF_INIT, line = RUHU_BUF_INIT;
	const char data[] = "tab-07 save 12\n";
	char head[128];

	/* no limit: no option */
	valid_before_line(head, sizeof(head), 0);
	ck_assert_str_eq(head, "tab-07@320102 ");
	/* revoked at 2026-03-02T01:00:00.000Z: good up to 00:59:59, in UTC */
	valid_before_line(head, sizeof(head), INT64_C(1772413200000));
	ck_assert_str_eq(head, "tab-07@320102 valid-before=\"20260302005959Z\" ");
	/* a millisecond later: a commit of second 01:00:00 may predate it */
	valid_before_line(head, sizeof(head), INT64_C(1772413200001));
	ck_assert_str_eq(head, "tab-07@320102 valid-before=\"20260302010000Z\" ");
	valid_before_line(head, sizeof(head), INT64_C(1772413201000));
	ck_assert_str_eq(head, "tab-07@320102 valid-before=\"20260302010000Z\" ");
	/* the last time four digits of year hold, and the first they do not */
	valid_before_line(head, sizeof(head), INT64_C(253402300800000));
	ck_assert_str_eq(head, "tab-07@320102 valid-before=\"99991231235959Z\" ");
	rt_ok(ruhu_buf_puts(&line, "kept"));
	ck_assert_int_eq(ruhu_sshsig_allowed_signer_line(&line, "tab-07@320102",
		ruhu_signkey_public(key), INT64_C(253402300801001)), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_sshsig_allowed_signer_line(&line, "tab-07@320102",
		ruhu_signkey_public(key), -1), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_sshsig_allowed_signer_line(&line, "two words",
		ruhu_signkey_public(key), INT64_C(1772413200000)), RUHU_EINVALID);
	ck_assert_uint_eq(line.size, 4);

	/* ssh-keygen reads the option: good at the last second, not after */
	ruhu_buf_clear(&line);
	rt_ok(ruhu_sshsig_sign(&sig, key, RUHU_SSHSIG_GIT, data, strlen(data)));
	rt_ok(ruhu_buf_putc(&sig, '\n'));
	rt_ok(ruhu_sshsig_allowed_signer_line(&line, "tab-07@320102", ruhu_signkey_public(key),
		INT64_C(1772413200000)));
	rt_ok(ruhu_buf_putc(&line, '\n'));
	write_in("data", data, strlen(data));
	write_in("data.sig", sig.ptr, sig.size);
	write_in("allowed", line.ptr, line.size);
	ck_assert_int_eq(rt_sh(NULL, "cd '%s' && ssh-keygen -Y verify -f allowed -I tab-07@320102 "
		"-n git -s data.sig -Overify-time=20260302005959Z <data >/dev/null 2>&1", dir), 0);
	ck_assert_int_ne(rt_sh(NULL, "cd '%s' && ssh-keygen -Y verify -f allowed -I tab-07@320102 "
		"-n git -s data.sig -Overify-time=20260302010000Z <data >/dev/null 2>&1", dir), 0);
	ruhu_buf_dispose(&sig);
	ruhu_buf_dispose(&line);
}
END_TEST

/* Re-armour a signature blob (after changing it on purpose). */
static void armour(ruhu_buf *out, const void *blob, size_t len)
{
	ruhu_buf_clear(out);
	rt_ok(ruhu_buf_puts(out, "-----BEGIN SSH SIGNATURE-----\n"));
	rt_ok(ruhu_base64_encode(out, blob, len));
	rt_ok(ruhu_buf_puts(out, "\n-----END SSH SIGNATURE-----\n"));
}

START_TEST(test_sshsig_malformed_refused)
{
	ruhu_buf sig = RUHU_BUF_INIT, blob = RUHU_BUF_INIT, re = RUHU_BUF_INIT;
	const char data[] = "x";
	unsigned char who[32], zero[32];
	size_t b64;
	int good = 0;

	memset(zero, 0, sizeof(zero));
	rt_ok(ruhu_sshsig_sign(&sig, key, RUHU_SSHSIG_GIT, data, 1));
	b64 = sig.size - 30 - 28;
	rt_ok(ruhu_base64_decode(&blob, sig.ptr + 30, b64, "\n"));

	ck_assert_int_eq(ruhu_sshsig_verify(who, "nonsense", 8, "git", data, 1), RUHU_ECORRUPT);
	ck_assert_mem_eq(who, zero, 32);
	ck_assert_int_eq(ruhu_sshsig_verify(who, sig.ptr, sig.size - 1, "git", data, 1),
		RUHU_ECORRUPT);
	/* a length field that runs past the end */
	armour(&re, blob.ptr, blob.size);
	rt_ok(ruhu_sshsig_verify(who, re.ptr, re.size, "git", data, 1));
	blob.ptr[10] = 0x7f;
	armour(&re, blob.ptr, blob.size);
	ck_assert_int_eq(ruhu_sshsig_verify(who, re.ptr, re.size, "git", data, 1), RUHU_ECORRUPT);
	blob.ptr[10] = 0;
	/* truncated blob, trailing byte */
	armour(&re, blob.ptr, blob.size - 1);
	ck_assert_int_eq(ruhu_sshsig_verify(who, re.ptr, re.size, "git", data, 1), RUHU_ECORRUPT);
	rt_ok(ruhu_buf_putc(&blob, 0));
	armour(&re, blob.ptr, blob.size);
	ck_assert_int_eq(ruhu_sshsig_verify(who, re.ptr, re.size, "git", data, 1), RUHU_ECORRUPT);
	ruhu_buf_truncate(&blob, blob.size - 1);

	/* every single-bit change anywhere in the blob is refused, never good */
	for (size_t i = 0; i < blob.size; i++)
		for (int bit = 0; bit < 8; bit += 3) {
			int rc;

			blob.ptr[i] ^= (char)(1 << bit);
			armour(&re, blob.ptr, blob.size);
			rc = ruhu_sshsig_verify(who, re.ptr, re.size, "git", data, 1);
			ck_assert_msg(rc == RUHU_ECORRUPT || rc == RUHU_EAUTH,
				"byte %zu bit %d: %d", i, bit, rc);
			good += rc == 0;
			blob.ptr[i] ^= (char)(1 << bit);
		}
	ck_assert_int_eq(good, 0);
	ruhu_buf_dispose(&sig);
	ruhu_buf_dispose(&blob);
	ruhu_buf_dispose(&re);
}
END_TEST

Suite *sshsig_suite(void)
{
	Suite *s = suite_create("sshsig");
	TCase *tc = tcase_create("sshsig");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sshsig_round_trip_and_armour);
	tcase_add_test(tc, test_sshsig_ssh_keygen_accepts_ours);
	tcase_add_test(tc, test_sshsig_ours_accepts_ssh_keygen);
	tcase_add_test(tc, test_sshsig_public_key_lines);
	tcase_add_test(tc, test_sshsig_allowed_signer_valid_before);
	tcase_add_test(tc, test_sshsig_malformed_refused);
	suite_add_tcase(s, tc);
	return s;
}
