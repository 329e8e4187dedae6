/*
 * item.c — the read-only accessors of a loaded catalogue and its items, and
 * the text of the one-time notification (一次性告知, standard clause 6.2.3).
 *
 * Design notes
 *  1. Accessors accept NULL and out-of-range indexes and answer NULL or 0.
 *  2. The notification is bilingual, Chinese first, and says everything the
 *     clause asks for: legal basis, every required material, procedure, time
 *     limit; then the received and promised dates when given.  A default
 *     catalogue says that its limits are ruhu's defaults, not the centre's.
 */
#include <string.h>

#include "schema/schema_int.h"

static int lang_ok(ruhu_lang lang)
{
	return lang == RUHU_LANG_ZH || lang == RUHU_LANG_EN;
}

const char *ruhu_catalogue_source(const ruhu_catalogue *cat, size_t *len)
{
	if (len)
		*len = cat ? cat->len : 0;
	return cat ? cat->source : NULL;
}

const char *ruhu_catalogue_version(const ruhu_catalogue *cat)
{
	return cat ? cat->version : NULL;
}

const char *ruhu_catalogue_name(const ruhu_catalogue *cat)
{
	return cat ? cat->name : NULL;
}

const char *ruhu_catalogue_centre(const ruhu_catalogue *cat)
{
	return cat ? cat->centre : NULL;
}

int ruhu_catalogue_is_default(const ruhu_catalogue *cat)
{
	return cat ? cat->defaults : 0;
}

size_t ruhu_catalogue_item_count(const ruhu_catalogue *cat)
{
	return cat ? cat->nitems : 0;
}

const ruhu_item *ruhu_catalogue_item(const ruhu_catalogue *cat, size_t i)
{
	return cat && i < cat->nitems ? &cat->items[i] : NULL;
}

const ruhu_item *ruhu_catalogue_item_byname(const ruhu_catalogue *cat, const char *code)
{
	for (size_t i = 0; cat && code && i < cat->nitems; i++)
		if (!strcmp(cat->items[i].code, code))
			return &cat->items[i];
	return NULL;
}

const char *ruhu_item_code(const ruhu_item *item)
{
	return item ? item->code : NULL;
}

const char *ruhu_item_name(const ruhu_item *item, ruhu_lang lang)
{
	return item && lang_ok(lang) ? item->name[lang] : NULL;
}

static const struct category *category_of(const ruhu_item *item)
{
	if (item == NULL || item->category == 0 || item->cat == NULL)
		return NULL;
	return &item->cat->categories[item->category - 1];
}

const char *ruhu_item_category(const ruhu_item *item)
{
	const struct category *k = category_of(item);

	return k ? k->code : NULL;
}

const char *ruhu_item_category_label(const ruhu_item *item, ruhu_lang lang)
{
	const struct category *k = category_of(item);

	return k && lang_ok(lang) ? k->label[lang] : NULL;
}

const char *ruhu_item_basis(const ruhu_item *item)
{
	return item ? item->basis : NULL;
}

unsigned int ruhu_item_limit(const ruhu_item *item)
{
	return item ? item->limit : 0;
}

size_t ruhu_item_material_count(const ruhu_item *item)
{
	return item ? item->nmaterials : 0;
}

const char *ruhu_item_material_code(const ruhu_item *item, size_t i)
{
	return item && i < item->nmaterials ? item->materials[i].code : NULL;
}

const char *ruhu_item_material_label(const ruhu_item *item, size_t i, ruhu_lang lang)
{
	return item && i < item->nmaterials && lang_ok(lang) ? item->materials[i].label[lang] : NULL;
}

size_t ruhu_item_step_count(const ruhu_item *item)
{
	return item ? item->nsteps : 0;
}

const char *ruhu_item_step(const ruhu_item *item, size_t i, ruhu_lang lang)
{
	return item && i < item->nsteps && lang_ok(lang) ? item->steps[i].text[lang] : NULL;
}

int ruhu_catalogue_notice(ruhu_buf *out, const ruhu_catalogue *cat, const ruhu_item *item,
			  const char *received, const char *promised, const char *have)
{
	int error = 0;

	if (out == NULL || item == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no catalogue item for the notification");
	if (cat && cat->centre)
		error = ruhu_buf_printf(out, "%s\n", cat->centre);
	if (!error)
		error = ruhu_buf_printf(out, "一次性告知单 / One-time notification\n"
					"事项 Item: %s / %s (%s)\n"
					"类别 Category: %s / %s\n"
					"法规政策依据 Legal basis: %s\n"
					"需提供的材料 Required materials:\n",
					item->name[0], item->name[1], item->code,
					ruhu_item_category_label(item, RUHU_LANG_ZH),
					ruhu_item_category_label(item, RUHU_LANG_EN), item->basis);
	if (!error && item->nmaterials == 0)
		error = ruhu_buf_puts(out, "  无 / none\n");
	for (size_t i = 0; !error && i < item->nmaterials; i++) {
		const struct material *m = &item->materials[i];
		const char *mark = "";

		if (have)
			mark = ruhu_tokens_has(have, m->code) ? "  [已收 received]" : "  [缺 missing]";
		error = ruhu_buf_printf(out, "  %zu. %s / %s [%s]%s\n", i + 1, m->label[0], m->label[1],
					m->code, mark);
	}
	if (!error)
		error = ruhu_buf_puts(out, "办理程序 Procedure:\n");
	for (size_t i = 0; !error && i < item->nsteps; i++)
		error = ruhu_buf_printf(out, "  %zu. %s / %s\n", i + 1, item->steps[i].text[0],
					item->steps[i].text[1]);
	if (!error)
		error = ruhu_buf_printf(out, "办理时限 Time limit: %u 个工作日 / working days%s\n",
					item->limit, cat && cat->defaults ?
					"（默认值，以本中心公布的时限为准 / ruhu's default; the centre's "
					"published limit prevails）" : "");
	if (!error && received)
		error = ruhu_buf_printf(out, "受理日期 Received: %.10s\n", received);
	if (!error && promised)
		error = ruhu_buf_printf(out, "承诺办结日期 Promised by: %s\n", promised);
	return error;
}
