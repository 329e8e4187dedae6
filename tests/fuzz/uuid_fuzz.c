/*
 * uuid_fuzz.c — the UUID text parser (core/uuid.h).
 * Properties: no input reads outside its bytes; an accepted text formats
 * back to exactly itself; only an accepted text can be a version 7 id.
 */
#include <string.h>

#include "core/uuid.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char bytes[16];
	char text[RUHU_UUID_TEXT_LEN + 1];
	int v7 = ruhu_uuid_is_v7((const char *)data, size);

	if (ruhu_uuid_parse(bytes, (const char *)data, size) != 0) {
		FUZZ_CHECK(v7 == 0);
		return 0;
	}
	ruhu_uuid_format(text, bytes);
	FUZZ_CHECK(size == RUHU_UUID_TEXT_LEN && memcmp(text, data, size) == 0);
	return 0;
}
