/*
 * envelope_fuzz.c — the bundle envelope (sync/envelope.h) on untrusted
 * bytes: ruhu_envelope_parse, then ruhu_envelope_open with a fixed test
 * sender key and recipient box key.  Each input goes through as it is, then
 * with its signature made right by the test sender key, so that mutations
 * reach the sealed body key and the encrypted body instead of stopping at
 * the signature (the corpus holds envelopes sealed with the same keys by
 * seeds_sync.c, and real ones of a tablet and its hub).
 * Properties: no input reads outside its bytes; an envelope that parses has
 * a known version, hash and kind, valid ids, a 16-digit key id and exactly
 * the length the format gives; open either appends exactly body_size bytes
 * or fails with a message and leaves the output as it was.
 */
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "sync/envelope.h"

static ruhu_signkey *sender;
static ruhu_boxkey *recipient;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char seed[RUHU_SEEDBYTES], rec[RUHU_KEY_STOREBYTES];

	FUZZ_CHECK(ruhu_init() == 0);
	/* the test keys of seeds_sync.c: sign seed 0x5e..., box secret 0xb0... */
	memset(seed, 0x5e, sizeof(seed));
	FUZZ_CHECK(ruhu_signkey_from_seed(&sender, seed) == 0);
	memcpy(rec, "RHK1\2\0\0\0", 8);
	memset(rec + 8, 0xb0, 32);
	FUZZ_CHECK(crypto_scalarmult_base(rec + 40, rec + 8) == 0);
	FUZZ_CHECK(ruhu_boxkey_load(&recipient, rec, sizeof(rec)) == 0);
	return 0;
}

static void check(const uint8_t *data, size_t size)
{
	ruhu_envelope env;
	ruhu_buf out = RUHU_BUF_INIT;
	int rc;

	if (ruhu_envelope_parse(&env, data, size) < 0) {
		FUZZ_CHECK(ruhu_error_last()[0] != '\0');
		return;
	}
	FUZZ_CHECK(env.version == RUHU_ENVELOPE_VERSION && env.hash == RUHU_ENVELOPE_HASH_SHA1);
	FUZZ_CHECK(env.kind >= RUHU_ENVELOPE_DEVICE_BUNDLE && env.kind <= RUHU_ENVELOPE_ENROL_REPLY);
	FUZZ_CHECK(strcmp(ruhu_envelope_kind_name(env.kind), "unknown") != 0);
	FUZZ_CHECK(ruhu_envelope_id_valid(env.sender) && ruhu_envelope_id_valid(env.recipient));
	FUZZ_CHECK(strlen(env.recipient_keyid) == RUHU_KEYID_HEXLEN);
	FUZZ_CHECK(env.len_ == size && env.body_at_ < size && env.body_size <= RUHU_ENVELOPE_MAX_BODY);
	FUZZ_CHECK(ruhu_buf_puts(&out, "x") == 0);
	rc = ruhu_envelope_open(&out, &env, ruhu_signkey_public(sender), recipient);
	if (rc == 0) {
		FUZZ_CHECK(out.size == 1 + env.body_size);
	} else {
		FUZZ_CHECK(ruhu_error_last()[0] != '\0');
		FUZZ_CHECK(out.size == 1 && out.ptr[0] == 'x');
	}
	ruhu_buf_dispose_secure(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size);
	if (size > RUHU_SIGN_BYTES) {
		unsigned char *signed_copy = malloc(size);

		if (signed_copy == NULL)
			return 0;
		memcpy(signed_copy, data, size);
		FUZZ_CHECK(ruhu_signkey_sign(signed_copy + size - RUHU_SIGN_BYTES, sender, signed_copy,
					     size - RUHU_SIGN_BYTES) == 0);
		check(signed_copy, size);
		free(signed_copy);
	}
	ruhu_error_clear();
	return 0;
}
