/*
 * report.h — what the files of `ruhu report` share: cmd_report.c (the
 * commands and the output for people), report_json.c (--json) and html.c
 * (the overview page).
 */
#ifndef RUHU_CLI_REPORT_H
#define RUHU_CLI_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"

/* Milliseconds since 1970 as "YYYY-MM-DD HH:MM" in a zone `tz` minutes
 * east of UTC; "-" for 0 (never). */
void cli_report_time(char *out, size_t size, int64_t ms, int tz);

/* One report as one JSON value appended to `j` (report_json.c). */
void cli_report_json_deadlines(struct cli_json *j, const ruhu_deadline_report *rep);
void cli_report_json_staffing(struct cli_json *j, const ruhu_staffing_report *rep);
void cli_report_json_satisfaction(struct cli_json *j, const ruhu_satisfaction_report *rep);
void cli_report_json_complaints(struct cli_json *j, const ruhu_complaint_report *rep);
void cli_report_json_overview(struct cli_json *j, const ruhu_overview *ov);

/* The whole page for an overview, into `out` (appended).  Every value from
 * the replica is escaped; the page loads nothing from anywhere.  Returns 0
 * or RUHU_ENOMEM. */
int cli_overview_html(ruhu_buf *out, const ruhu_overview *ov);

/* Write `data` to `path` readable by its owner only (0600), through a
 * temporary file and a rename.  Prints the error and returns CLI_FAIL. */
int cli_write_private(const char *path, const void *data, size_t len);

#endif
