/*
 * init.c — one-time initialisation of the libraries libruhu stands on.
 *
 * Design notes
 *  1. libsodium and libgit2 are initialised once per process, before threads
 *     (see notes/libgit2-store.md); calling ruhu_init again does nothing.
 *  2. libgit2's object cache keeps trees of any size (the default keeps only
 *     trees under 4 KiB, which made history walks 60x slower).
 */
#include <git2.h>
#include <sodium.h>

#include "ruhu/common.h"

int ruhu_init(void)
{
	static int done;

	if (done)
		return 0;
	if (sodium_init() < 0)
		return ruhu_error_set(RUHU_ERROR, "cannot initialise libsodium");
	if (git_libgit2_init() < 0)
		return ruhu_error_set(RUHU_ERROR, "cannot initialise libgit2");
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)1 << 20);
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_COMMIT, (size_t)1 << 20);
	done = 1;
	return 0;
}
