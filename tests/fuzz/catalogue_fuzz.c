/*
 * catalogue_fuzz.c — the service catalogue loader (ruhu/schema.h,
 * ruhu_catalogue_load_buffer): the hub ships its catalogue text to tablets.
 * Properties: no input crashes or leaks; a refusal always has a message.
 */
#include "fuzz.h"
#include "ruhu/schema.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ruhu_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ruhu_catalogue *c = NULL;

	if (ruhu_catalogue_load_buffer(&c, "fuzz.txt", data, size) != 0)
		FUZZ_CHECK(c == NULL && ruhu_error_last()[0] != '\0');
	ruhu_catalogue_free(c);
	return 0;
}
