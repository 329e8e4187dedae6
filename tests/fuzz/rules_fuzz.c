/*
 * rules_fuzz.c — the conflict-rules loader (ruhu/schema.h,
 * ruhu_schema_load_rules) over the embedded migrations.
 * Properties: no input crashes or leaks; a refusal always has a message.
 */
#include <string.h>

#include "fuzz.h"
#include "ruhu/schema.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ruhu_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ruhu_schema *s = NULL;

	if (ruhu_schema_load_rules(&s, "fuzz.rules", data, size) == 0)
		FUZZ_CHECK(ruhu_schema_type_count(s) > 0);
	else
		FUZZ_CHECK(s == NULL && ruhu_error_last()[0] != '\0');
	ruhu_schema_free(s);
	return 0;
}
