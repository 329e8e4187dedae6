/*
 * progress.c — a progress bar on stderr while the hub merges a bundle's
 * commits, drawn only when stderr is a terminal.
 *
 * Design notes
 *  1. Nothing is written when stderr is not a terminal (isatty): pipes,
 *     files and test runs get the per-file report only, never carriage
 *     returns.
 *  2. The bar is redrawn only when its width in characters changes, and the
 *     line is cleared when the work is done, so the report that follows
 *     starts on a clean line.
 *  3. The callback has the shape of ruhu_progress_cb (ruhu/sync.h): the
 *     library calls it, the CLI draws.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define BAR_WIDTH 30

void cli_progress_init(struct cli_progress *p, const char *label)
{
	memset(p, 0, sizeof(*p));
	p->label = label ? label : "";
	p->tty = isatty(fileno(stderr));
	p->drawn = -1;
}

void cli_progress_cb(size_t done, size_t total, void *payload)
{
	struct cli_progress *p = payload;
	int fill;

	if (!p->tty || total == 0)
		return;
	fill = (int)(done >= total ? BAR_WIDTH : done * BAR_WIDTH / total);
	if (fill == p->drawn && done != total)
		return;
	p->drawn = fill;
	p->shown = 1;
	fprintf(stderr, "\r%s [%.*s%*s] %zu/%zu", p->label, fill,
		"##############################", BAR_WIDTH - fill, "", done, total);
	fflush(stderr);
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->tty && p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->shown = 0;
	p->drawn = -1;
}
