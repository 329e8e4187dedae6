/*
 * bundle_fuzz.c — the git v2 bundle reader (sync/bundle.h,
 * ruhu_bundle_parse) on untrusted bytes, then the pack it carries
 * (core/odb.h, ruhu_pack_parse, with small caps so that a run stays fast).
 * Properties: no input reads outside its bytes; a bundle that parses has at
 * least one ref, every ref named "HEAD" or under "refs/" within the name
 * limit, no two refs of one name, no zero id, counts within the caps, and a
 * pack that lies inside the input, starts with "PACK" and has room for its
 * checksum; a pack that parses hands out as many objects as it says.
 */
#include <string.h>

#include "core/odb.h"
#include "fuzz.h"
#include "sync/bundle.h"

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
	ruhu_bundle *b = NULL;
	const unsigned char *pack;
	size_t nrefs, npre, plen = 0, objects = 0, seen = 0;
	git_oid zero;

	if (ruhu_bundle_parse(&b, data, size) < 0) {
		FUZZ_CHECK(b == NULL);
		FUZZ_CHECK(ruhu_error_last()[0] != '\0');
		ruhu_error_clear();
		return 0;
	}
	memset(&zero, 0, sizeof(zero));
	nrefs = ruhu_bundle_ref_count(b);
	npre = ruhu_bundle_prereq_count(b);
	FUZZ_CHECK(nrefs >= 1 && nrefs <= RUHU_BUNDLE_MAX_REFS && npre <= RUHU_BUNDLE_MAX_PREREQS);
	for (size_t i = 0; i < nrefs; i++) {
		const ruhu_bundle_ref *r = ruhu_bundle_ref_at(b, i);
		git_oid found;

		FUZZ_CHECK(r != NULL && r->name != NULL);
		FUZZ_CHECK(!strcmp(r->name, "HEAD") || !strncmp(r->name, "refs/", 5));
		FUZZ_CHECK(strlen(r->name) <= RUHU_BUNDLE_MAX_REFNAME);
		FUZZ_CHECK(!git_oid_equal(&r->oid, &zero));
		FUZZ_CHECK(ruhu_bundle_ref_lookup(&found, b, r->name) == 0);
		FUZZ_CHECK(git_oid_equal(&found, &r->oid));
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(ruhu_bundle_ref_at(b, j)->name, r->name) != 0);
	}
	for (size_t i = 0; i < npre; i++) {
		const ruhu_bundle_prereq *p = ruhu_bundle_prereq_at(b, i);

		FUZZ_CHECK(p != NULL && p->comment != NULL && !git_oid_equal(&p->oid, &zero));
	}
	pack = ruhu_bundle_pack(b, &plen);
	FUZZ_CHECK(pack >= data && plen <= size && pack + plen == data + size);
	FUZZ_CHECK(plen >= 32 && memcmp(pack, "PACK", 4) == 0);
	opts.max_objects = 4096;
	opts.max_object_size = 1 << 20;
	opts.max_inflated = 16 << 20;
	opts.max_delta_depth = 64;
	if (ruhu_pack_parse(&objects, pack, plen, &opts, NULL, count, &seen) == 0)
		FUZZ_CHECK(objects == seen);
	ruhu_bundle_free(b);
	ruhu_error_clear();
	return 0;
}
