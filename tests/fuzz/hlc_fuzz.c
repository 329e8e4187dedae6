/*
 * hlc_fuzz.c — the hybrid logical clock's text parser (core/hlc.h).
 * Properties: no input reads outside its bytes; an accepted text formats
 * back to exactly itself.
 */
#include <string.h>

#include "core/hlc.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[RUHU_HLC_TEXT_LEN + 1];
	uint64_t v, again;

	if (ruhu_hlc_parse(&v, (const char *)data, size) != 0)
		return 0;
	FUZZ_CHECK(ruhu_hlc_format(text, v) == 0);
	FUZZ_CHECK(size == RUHU_HLC_TEXT_LEN && memcmp(text, data, size) == 0);
	FUZZ_CHECK(ruhu_hlc_parse(&again, text, strlen(text)) == 0 && again == v);
	return 0;
}
