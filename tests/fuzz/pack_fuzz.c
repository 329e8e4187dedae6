/*
 * pack_fuzz.c — the git pack reader (core/odb.h, ruhu_pack_parse) on
 * untrusted packs, with small caps so that a run stays fast.
 * Properties: no input reads outside its bytes or makes the parser allocate
 * past its caps; a pack that parses hands out as many objects as it says.
 */
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
	return 0;
}
