/*
 * keyfile_fuzz.c — the key file parser (core/keyfile.c, ruhu_keyfile_parse).
 * Properties: no input reads outside its bytes; an accepted file serializes
 * back to exactly its bytes (every field is checked, none is ignored).
 */
#include <string.h>

#include "core/keyfile.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruhu_keyfile kf, again;
	unsigned char out[RUHU_KEYFILE_SIZE];

	if (ruhu_keyfile_parse(&kf, data, size) != 0)
		return 0;
	ruhu_keyfile_serialize(out, &kf);
	FUZZ_CHECK(size == RUHU_KEYFILE_SIZE && memcmp(out, data, size) == 0);
	FUZZ_CHECK(ruhu_keyfile_parse(&again, out, sizeof(out)) == 0);
	return 0;
}
