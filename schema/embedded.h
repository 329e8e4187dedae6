/*
 * embedded.h — the data files compiled into libruhu by cmake/embed.cmake:
 * the township schema (migrations and rules) and the default catalogue.
 *
 * Design notes
 *  1. Each table ends with an entry whose name is NULL; `data` is followed by
 *     a NUL byte that `len` does not count.
 *  2. The schema table lists migrations in number order, then the rules file
 *     (schema/CMakeLists.txt fixes the order).
 */
#ifndef RUHU_SCHEMA_EMBEDDED_H
#define RUHU_SCHEMA_EMBEDDED_H

#include <stddef.h>

struct ruhu_embedded_file {
	const char *name;
	const unsigned char *data;
	size_t len;
};

extern const struct ruhu_embedded_file ruhu_schema_embedded_files[];
extern const size_t ruhu_schema_embedded_count;
extern const struct ruhu_embedded_file ruhu_catalogue_embedded_files[];
extern const size_t ruhu_catalogue_embedded_count;

#endif
