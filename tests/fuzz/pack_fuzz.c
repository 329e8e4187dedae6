/*
 * pack_fuzz.c — the git pack reader (core/odb.h, ruhu_pack_parse) on
 * untrusted packs, with small caps so that a run stays fast.
 * Each input is parsed as it is, then with its trailing SHA-1 made right, so
 * that mutations reach the entries instead of stopping at the checksum.
 * Properties: no input reads outside its bytes or makes the parser allocate
 * past its caps; a pack that parses hands out as many objects as it says.
 */
#include <stdlib.h>
#include <string.h>

#include "core/odb.h"
#include "fuzz.h"

static int count(const git_oid *oid, git_object_t type, const void *data, size_t len,
		 void *payload)
{
	(*(size_t *)payload)++;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ruhu_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ruhu_pack_opts opts = RUHU_PACK_OPTS_INIT;
	size_t objects = 0, seen = 0;

	opts.max_objects = 4096;
	opts.max_object_size = 1 << 20;
	opts.max_inflated = 16 << 20;
	opts.max_delta_depth = 64;
	if (ruhu_pack_parse(&objects, data, size, &opts, NULL, count, &seen) == 0)
		FUZZ_CHECK(objects == seen);
	if (size >= 32) {
		unsigned char *fixed = malloc(size);

		if (fixed == NULL)
			return 0;
		memcpy(fixed, data, size);
		ruhu_pack_sha1(fixed + size - 20, fixed, size - 20);
		objects = seen = 0;
		if (ruhu_pack_parse(&objects, fixed, size, &opts, NULL, count, &seen) == 0)
			FUZZ_CHECK(objects == seen);
		free(fixed);
	}
	return 0;
}
