/*
 * html.h — the operator's overview page (html.c) and the report output
 * helpers that cmd_report.c and html.c share.
 */
#ifndef RUHU_CLI_HTML_H
#define RUHU_CLI_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"

/* Milliseconds since 1970 as "YYYY-MM-DD HH:MM" in a zone `tz` minutes
 * east of UTC; "-" for 0 (never). */
void cli_report_time(char *out, size_t size, int64_t ms, int tz);

/* The whole page for an overview, into `out` (appended).  Every value from
 * the replica is escaped; the page loads nothing from anywhere.  Returns 0
 * or RUHU_ENOMEM. */
int cli_overview_html(ruhu_buf *out, const ruhu_overview *ov);

/* Write `data` to `path` readable by its owner only (0600), through a
 * temporary file and a rename.  Prints the error and returns CLI_FAIL. */
int cli_write_private(const char *path, const void *data, size_t len);

#endif
