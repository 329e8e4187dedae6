/*
 * audit_graph.c — the history drawn as `git log --graph` draws it: `*` for a
 * commit, `|` for a line of descent, `\` where a merge opens a line, `/`
 * and `_` where lines join (see audit.h, design note 2).
 *
 * Design notes
 *  1. The drawing is git's graph.c algorithm (git 2.25 and later), redone
 *     over commit numbers: the same states, column bookkeeping and rules for
 *     each character, so that the shape is the one stock git prints for the
 *     same commits in the same order.  Colours are left out.
 *  2. Columns: `columns` are the lines of descent entering the current
 *     commit's row (each the commit it leads to); `new_columns` those leaving
 *     it.  `mapping` maps each character position of the row being drawn to
 *     the new column its line heads for (-1: blank); a line more than one
 *     position right of its target moves one position left per row.
 *  3. States per commit (git's names):
 *       PRE_COMMIT  rows that widen the graph before an octopus (3 parents)
 *       COMMIT      the commit's own row (`*`)         -> audit_graph_next's `line`
 *       POST_MERGE  the row below a merge (`|\`)
 *       COLLAPSING  rows that move lines left (`|/`, `_`)
 *       PADDING     finished
 *     SKIP (git's `...`) never happens here: every commit is drawn to the end.
 *  4. Only the commits given are drawn; a parent number not drawn later
 *     simply leaves its line open at the bottom.
 */
#include <stdlib.h>
#include <string.h>

#include "sync/audit.h"

enum gstate { G_PADDING, G_SKIP, G_PRE_COMMIT, G_COMMIT, G_POST_MERGE, G_COLLAPSING };

struct audit_graph {
	uint32_t commit;
	int has_commit;
	const uint32_t *parents;
	int num_parents;
	int width;
	int expansion_row;
	enum gstate state, prev_state;
	int commit_index, prev_commit_index;
	int merge_layout;
	int edges_added, prev_edges_added;
	int capacity;              /* of columns; mappings hold 2 * capacity */
	int num_columns, num_new_columns, mapping_size;
	uint32_t *columns, *new_columns;
	int *mapping, *old_mapping;
};

/* A row being drawn, with its width in characters. */
struct row {
	ruhu_buf *buf;
	int width;
	int failed;
};

static void put(struct row *r, char c)
{
	if (ruhu_buf_putc(r->buf, c) < 0)
		r->failed = 1;
	r->width++;
}

static void put_n(struct row *r, char c, int n)
{
	for (int i = 0; i < n; i++)
		put(r, c);
}

int audit_graph_new(struct audit_graph **out)
{
	struct audit_graph *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (g == NULL)
		return ruhu_error_oom();
	g->state = g->prev_state = G_PADDING;
	g->capacity = 30;
	g->columns = calloc((size_t)g->capacity, sizeof(*g->columns));
	g->new_columns = calloc((size_t)g->capacity, sizeof(*g->new_columns));
	g->mapping = calloc((size_t)g->capacity * 2, sizeof(*g->mapping));
	g->old_mapping = calloc((size_t)g->capacity * 2, sizeof(*g->old_mapping));
	if (!g->columns || !g->new_columns || !g->mapping || !g->old_mapping) {
		audit_graph_free(g);
		return ruhu_error_oom();
	}
	*out = g;
	return 0;
}

void audit_graph_free(struct audit_graph *g)
{
	if (g == NULL)
		return;
	free(g->columns);
	free(g->new_columns);
	free(g->mapping);
	free(g->old_mapping);
	free(g);
}

static void set_state(struct audit_graph *g, enum gstate s)
{
	g->prev_state = g->state;
	g->state = s;
}

static int ensure_capacity(struct audit_graph *g, int n)
{
	int cap = g->capacity;
	void *p;

	if (cap >= n)
		return 0;
	while (cap < n)
		cap *= 2;
	if ((p = realloc(g->columns, (size_t)cap * sizeof(*g->columns))) == NULL)
		return ruhu_error_oom();
	g->columns = p;
	if ((p = realloc(g->new_columns, (size_t)cap * sizeof(*g->new_columns))) == NULL)
		return ruhu_error_oom();
	g->new_columns = p;
	if ((p = realloc(g->mapping, (size_t)cap * 2 * sizeof(*g->mapping))) == NULL)
		return ruhu_error_oom();
	g->mapping = p;
	if ((p = realloc(g->old_mapping, (size_t)cap * 2 * sizeof(*g->old_mapping))) == NULL)
		return ruhu_error_oom();
	g->old_mapping = p;
	g->capacity = cap;
	return 0;
}

static int find_new_column(const struct audit_graph *g, uint32_t c)
{
	for (int i = 0; i < g->num_new_columns; i++)
		if (g->new_columns[i] == c)
			return i;
	return -1;
}

/* git's graph_insert_into_new_columns: `idx` is the commit's column when
 * `c` is one of its parents, -1 for a line passing by. */
static void insert_new_column(struct audit_graph *g, uint32_t c, int idx)
{
	int i = find_new_column(g, c), mapping_idx;

	if (i < 0) {
		i = g->num_new_columns++;
		g->new_columns[i] = c;
	}
	if (g->num_parents > 1 && idx > -1 && g->merge_layout == -1) {
		/* the first parent of a merge: the layout depends on whether
		 * that parent's line is left of the merge */
		int dist = idx - i, shift = dist > 1 ? 2 * dist - 3 : 1;

		g->merge_layout = dist > 0 ? 0 : 1;
		g->edges_added = g->num_parents + g->merge_layout - 2;
		mapping_idx = g->width + (g->merge_layout - 1) * shift;
		g->width += 2 * g->merge_layout;
	} else if (g->edges_added > 0 && g->width >= 2 && i == g->mapping[g->width - 2]) {
		/* a parent found in the last column: the two edges join */
		mapping_idx = g->width - 2;
		g->edges_added = -1;
	} else {
		mapping_idx = g->width;
		g->width += 2;
	}
	g->mapping[mapping_idx] = i;
}

static int update_columns(struct audit_graph *g)
{
	uint32_t *tmp;
	int max_new, seen_this = 0, error;

	tmp = g->columns;
	g->columns = g->new_columns;
	g->new_columns = tmp;
	g->num_columns = g->num_new_columns;
	g->num_new_columns = 0;
	max_new = g->num_columns + g->num_parents;
	if ((error = ensure_capacity(g, max_new)) < 0)
		return error;
	g->mapping_size = 2 * max_new;
	for (int i = 0; i < g->mapping_size; i++)
		g->mapping[i] = -1;
	g->width = 0;
	g->prev_edges_added = g->edges_added;
	g->edges_added = 0;
	for (int i = 0; i <= g->num_columns; i++) {
		uint32_t col;

		if (i == g->num_columns) {
			if (seen_this)
				break;
			col = g->commit;
		} else {
			col = g->columns[i];
		}
		if (col == g->commit) {
			seen_this = 1;
			g->commit_index = i;
			g->merge_layout = -1;
			for (int k = 0; k < g->num_parents; k++)
				insert_new_column(g, g->parents[k], i);
			if (g->num_parents == 0)
				g->width += 2;
		} else {
			insert_new_column(g, col, -1);
		}
	}
	while (g->mapping_size > 1 && g->mapping[g->mapping_size - 1] < 0)
		g->mapping_size--;
	return 0;
}

static int num_dashed_parents(const struct audit_graph *g)
{
	return g->num_parents + g->merge_layout - 3;
}

static int needs_pre_commit_line(const struct audit_graph *g)
{
	return g->num_parents >= 3 && g->commit_index < g->num_columns - 1 &&
	       g->expansion_row < num_dashed_parents(g) * 2;
}

static int mapping_correct(const struct audit_graph *g)
{
	for (int i = 0; i < g->mapping_size; i++)
		if (g->mapping[i] >= 0 && g->mapping[i] != i / 2)
			return 0;
	return 1;
}

static void pad(const struct audit_graph *g, struct row *r)
{
	if (r->width < g->width)
		put_n(r, ' ', g->width - r->width);
}

static void padding_row(struct audit_graph *g, struct row *r)
{
	for (int i = 0; i < g->num_new_columns; i++) {
		put(r, '|');
		put(r, ' ');
	}
}

static void skip_row(struct audit_graph *g, struct row *r)
{
	put_n(r, '.', 3);
	set_state(g, needs_pre_commit_line(g) ? G_PRE_COMMIT : G_COMMIT);
}

static void pre_commit_row(struct audit_graph *g, struct row *r)
{
	int seen_this = 0;

	for (int i = 0; i < g->num_columns; i++) {
		if (g->columns[i] == g->commit) {
			seen_this = 1;
			put(r, '|');
			put_n(r, ' ', g->expansion_row);
		} else if (seen_this && g->expansion_row == 0) {
			put(r, g->prev_state == G_POST_MERGE && g->prev_commit_index < i ? '\\' : '|');
		} else if (seen_this && g->expansion_row > 0) {
			put(r, '\\');
		} else {
			put(r, '|');
		}
		put(r, ' ');
	}
	g->expansion_row++;
	if (!needs_pre_commit_line(g))
		set_state(g, G_COMMIT);
}

static void octopus_dashes(struct audit_graph *g, struct row *r)
{
	int dashed = num_dashed_parents(g);

	for (int i = 0; i < dashed; i++) {
		put(r, '-');
		put(r, i == dashed - 1 ? '.' : '-');
	}
}

static void commit_row(struct audit_graph *g, struct row *r)
{
	int seen_this = 0;

	for (int i = 0; i <= g->num_columns; i++) {
		uint32_t col;

		if (i == g->num_columns) {
			if (seen_this)
				break;
			col = g->commit;
		} else {
			col = g->columns[i];
		}
		if (col == g->commit) {
			seen_this = 1;
			put(r, '*');
			if (g->num_parents > 2)
				octopus_dashes(g, r);
		} else if (seen_this && g->edges_added > 1) {
			put(r, '\\');
		} else if (seen_this && g->edges_added == 1) {
			/* the line coming in may have been '\' on the row above */
			if (g->prev_state == G_POST_MERGE && g->prev_edges_added > 0 &&
			    g->prev_commit_index < i)
				put(r, '\\');
			else
				put(r, '|');
		} else if (g->prev_state == G_COLLAPSING && g->old_mapping[2 * i + 1] == i &&
			   g->mapping[2 * i] < i) {
			put(r, '/');
		} else {
			put(r, '|');
		}
		put(r, ' ');
	}
	if (g->num_parents > 1)
		set_state(g, G_POST_MERGE);
	else if (mapping_correct(g))
		set_state(g, G_PADDING);
	else
		set_state(g, G_COLLAPSING);
}

static void post_merge_row(struct audit_graph *g, struct row *r)
{
	static const char merge_chars[] = { '/', '|', '\\' };
	int seen_this = 0, parent_seen = 0;

	for (int i = 0; i <= g->num_columns; i++) {
		uint32_t col;

		if (i == g->num_columns) {
			if (seen_this)
				break;
			col = g->commit;
		} else {
			col = g->columns[i];
		}
		if (col == g->commit) {
			int idx = g->merge_layout;

			seen_this = 1;
			for (int j = 0; j < g->num_parents; j++) {
				put(r, merge_chars[idx]);
				if (idx == 2) {
					if (g->edges_added > 0 || j < g->num_parents - 1)
						put(r, ' ');
				} else {
					idx++;
				}
			}
			if (g->edges_added == 0)
				put(r, ' ');
		} else if (seen_this) {
			put(r, g->edges_added > 0 ? '\\' : '|');
			put(r, ' ');
		} else {
			put(r, '|');
			if (g->merge_layout != 0 || i != g->commit_index - 1)
				put(r, parent_seen ? '_' : ' ');
		}
		if (g->num_parents && col == g->parents[0])
			parent_seen = 1;
	}
	set_state(g, mapping_correct(g) ? G_PADDING : G_COLLAPSING);
}

static void collapsing_row(struct audit_graph *g, struct row *r)
{
	int *tmp, used_horizontal = 0, horizontal_edge = -1, horizontal_edge_target = -1;

	tmp = g->mapping;
	g->mapping = g->old_mapping;
	g->old_mapping = tmp;
	for (int i = 0; i < g->mapping_size; i++)
		g->mapping[i] = -1;
	for (int i = 0; i < g->mapping_size; i++) {
		int target = g->old_mapping[i];

		if (target < 0)
			continue;
		/* lines only ever move left: target * 2 <= i */
		if (target * 2 == i) {
			g->mapping[i] = target;
		} else if (i >= 1 && g->mapping[i - 1] < 0) {
			/* nothing to the left: move left by one */
			g->mapping[i - 1] = target;
			if (horizontal_edge == -1) {
				horizontal_edge = i;
				horizontal_edge_target = target;
				for (int j = target * 2 + 3; j < i - 2; j += 2)
					g->mapping[j] = target;
			}
		} else if (i >= 1 && g->mapping[i - 1] == target) {
			/* joins the line to its left, which has the same target */
		} else if (i >= 2) {
			/* crosses the line to its left */
			g->mapping[i - 2] = target;
			if (horizontal_edge == -1) {
				horizontal_edge_target = target;
				horizontal_edge = i - 1;
				for (int j = target * 2 + 3; j < i - 2; j += 2)
					g->mapping[j] = target;
			}
		}
	}
	memcpy(g->old_mapping, g->mapping, (size_t)g->mapping_size * sizeof(*g->mapping));
	if (g->mapping_size > 0 && g->mapping[g->mapping_size - 1] < 0)
		g->mapping_size--;
	for (int i = 0; i < g->mapping_size; i++) {
		int target = g->mapping[i];

		if (target < 0) {
			put(r, ' ');
		} else if (target * 2 == i) {
			put(r, '|');
		} else if (target == horizontal_edge_target && i != horizontal_edge - 1) {
			/* only the first segment of a horizontal edge carries on */
			if (i != target * 2 + 3)
				g->mapping[i] = -1;
			used_horizontal = 1;
			put(r, '_');
		} else {
			if (used_horizontal && i < horizontal_edge)
				g->mapping[i] = -1;
			put(r, '/');
		}
	}
	if (mapping_correct(g))
		set_state(g, G_PADDING);
}

/* git's graph_next_line: one row; 1 when it was the commit's row. */
static int next_row(struct audit_graph *g, struct row *r)
{
	int shown = 0;

	switch (g->state) {
	case G_PADDING:
		padding_row(g, r);
		break;
	case G_SKIP:
		skip_row(g, r);
		break;
	case G_PRE_COMMIT:
		pre_commit_row(g, r);
		break;
	case G_COMMIT:
		commit_row(g, r);
		shown = 1;
		break;
	case G_POST_MERGE:
		post_merge_row(g, r);
		break;
	case G_COLLAPSING:
		collapsing_row(g, r);
		break;
	}
	pad(g, r);
	return shown;
}

int audit_graph_next(struct audit_graph *g, uint32_t c, const uint32_t *parents, size_t n,
		     ruhu_buf *before, ruhu_buf *line, ruhu_buf *after)
{
	struct row r;
	int error, shown = 0;

	if (n > (size_t)INT32_MAX / 4)
		return ruhu_error_set(RUHU_EINVALID, "a commit with too many parents to draw");
	g->commit = c;
	g->has_commit = 1;
	g->parents = parents;
	g->num_parents = (int)n;
	g->prev_commit_index = g->commit_index;
	if ((error = update_columns(g)) < 0)
		return error;
	g->expansion_row = 0;
	if (g->state != G_PADDING)
		g->state = G_SKIP;
	else if (needs_pre_commit_line(g))
		g->state = G_PRE_COMMIT;
	else
		g->state = G_COMMIT;
	/* rows up to and including the commit's */
	while (!shown) {
		memset(&r, 0, sizeof(r));
		r.buf = line;
		ruhu_buf_clear(line);
		shown = next_row(g, &r);
		if (r.failed)
			return RUHU_ENOMEM;
		if (!shown && (ruhu_buf_put(before, line->ptr ? line->ptr : "", line->size) < 0 ||
			       ruhu_buf_putc(before, '\n') < 0))
			return RUHU_ENOMEM;
	}
	/* the rest, until the lines are where the next commit expects them */
	while (g->state != G_PADDING) {
		memset(&r, 0, sizeof(r));
		r.buf = after;
		next_row(g, &r);
		if (r.failed || ruhu_buf_putc(after, '\n') < 0)
			return RUHU_ENOMEM;
	}
	return 0;
}
