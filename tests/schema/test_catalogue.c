/*
 * test_catalogue.c — the default service catalogue (the 29 items of the
 * standard), the one-time notification, and every malformed catalogue line
 * refused with its file and line.
 */
#include <stdio.h>
#include <string.h>

#include "support/support.h"

/* DOMAIN.md: the service items of clause 4.1, in order. */
static const char *const items[][2] = {
	{ "emp.unemployment_registration", "失业登记" },
	{ "emp.graduate_realname", "离校未就业高校毕业生实名制就业服务" },
	{ "emp.difficulty_determination", "就业困难人员认定" },
	{ "emp.assistance", "就业援助" },
	{ "emp.public_post_subsidy", "社区公益性岗位补贴和社保补贴申请受理" },
	{ "emp.flexible_insurance_subsidy", "灵活就业社会保险补贴申请受理" },
	{ "emp.recruitment", "招聘服务" },
	{ "emp.job_referral", "职业介绍服务" },
	{ "emp.training_referral", "推荐就业技能培训" },
	{ "ent.service", "创业服务" },
	{ "ent.training", "创业培训" },
	{ "ent.guaranteed_loan", "个人创业担保贷款申请受理" },
	{ "ent.subsidy", "城乡创业扶持引导补贴申请受理" },
	{ "ss.info_query", "社会保险信息查询服务" },
	{ "ss.enrolment_survey", "全民参保登记调查" },
	{ "ss.resident_pension", "城乡居民基本养老保险办理" },
	{ "ss.resident_medical", "城乡居民基本医疗保险办理" },
	{ "ss.retiree_management", "企业退休人员社会化管理服务" },
	{ "ss.retiree_certification", "企业退休人员资格认证" },
	{ "ss.card_data_collection", "社会保障卡数据采集" },
	{ "ss.card_issuance", "社会保障卡发放办理" },
	{ "ss.card_check", "社会保障卡功能检测、密码修改和信息查询" },
	{ "lab.dispute_mediation", "简单劳资纠纷调处" },
	{ "lab.inspection_complaint", "劳动保障监察举报投诉传递" },
	{ "lab.written_review", "劳动保障监察书面审查" },
	{ "lab.three_colour_warning", "劳动保障监察“三色预警”" },
	{ "lab.employer_info", "用人单位人力资源和社会保障信息采集" },
	{ "lab.arbitration_mediation", "劳动人事争议调解" },
	{ "lab.contract_filing", "劳动合同备案" },
};

START_TEST(test_catalogue_default_has_the_29_items)
{
	ruhu_catalogue *cat = NULL;

	rt_ok(ruhu_catalogue_load_default(&cat));
	ck_assert(ruhu_catalogue_is_default(cat));
	ck_assert_ptr_null(ruhu_catalogue_centre(cat));
	ck_assert_uint_eq(ruhu_catalogue_item_count(cat), 29);
	ck_assert_uint_eq(strlen(ruhu_catalogue_version(cat)), 64);
	for (size_t i = 0; i < 29; i++) {
		const ruhu_item *it = ruhu_catalogue_item(cat, i);
		const char *cat_code = ruhu_item_category(it);
		const char *want = items[i][0][0] == 'e' && items[i][0][1] == 'm' ? "employment" :
				   items[i][0][0] == 'e' ? "entrepreneurship" :
				   items[i][0][0] == 's' ? "social_security" : "labour_rights";

		ck_assert_str_eq(ruhu_item_code(it), items[i][0]);
		ck_assert_str_eq(ruhu_item_name(it, RUHU_LANG_ZH), items[i][1]);
		ck_assert_ptr_nonnull(ruhu_item_name(it, RUHU_LANG_EN));
		ck_assert_str_eq(cat_code, want);
		ck_assert_ptr_nonnull(ruhu_item_category_label(it, RUHU_LANG_ZH));
		ck_assert(strlen(ruhu_item_basis(it)) > 6);
		ck_assert_uint_le(ruhu_item_limit(it), 365);
		ck_assert_uint_ge(ruhu_item_material_count(it), 1);
		ck_assert_uint_ge(ruhu_item_step_count(it), 3);
		for (size_t m = 0; m < ruhu_item_material_count(it); m++) {
			/* material codes are the tokens of application.materials_received */
			rt_ok(ruhu_validate_tokens(ruhu_item_material_code(it, m), "material", NULL));
			ck_assert_ptr_nonnull(ruhu_item_material_label(it, m, RUHU_LANG_EN));
		}
		for (size_t s = 0; s < ruhu_item_step_count(it); s++)
			ck_assert_ptr_nonnull(ruhu_item_step(it, s, RUHU_LANG_EN));
		ck_assert_ptr_eq(ruhu_catalogue_item_byname(cat, items[i][0]), it);
	}
	ck_assert_ptr_null(ruhu_catalogue_item_byname(cat, "emp.nothing"));
	ck_assert_ptr_null(ruhu_catalogue_item(cat, 29));
	ruhu_catalogue_free(cat);
}
END_TEST

START_TEST(test_catalogue_notice_says_everything_once)
{
	ruhu_catalogue *cat = NULL;
	ruhu_buf b = RUHU_BUF_INIT;
	const ruhu_item *it;

	rt_ok(ruhu_catalogue_load_default(&cat));
	it = ruhu_catalogue_item_byname(cat, "ent.guaranteed_loan");
	rt_ok(ruhu_catalogue_notice(&b, cat, it, "2024-05-06T09:00:00+08:00", "2024-05-27", "business_licence,id_card"));
	ck_assert(strstr(b.ptr, "一次性告知") != NULL);
	ck_assert(strstr(b.ptr, ruhu_item_basis(it)) != NULL);
	for (size_t m = 0; m < ruhu_item_material_count(it); m++)
		ck_assert_msg(strstr(b.ptr, ruhu_item_material_label(it, m, RUHU_LANG_ZH)) != NULL,
			      "material %zu missing", m);
	for (size_t s = 0; s < ruhu_item_step_count(it); s++)
		ck_assert(strstr(b.ptr, ruhu_item_step(it, s, RUHU_LANG_ZH)) != NULL);
	ck_assert(strstr(b.ptr, "办理时限 Time limit: 15 个工作日") != NULL);
	ck_assert(strstr(b.ptr, "默认值") != NULL);
	ck_assert(strstr(b.ptr, "受理日期 Received: 2024-05-06\n") != NULL);
	ck_assert(strstr(b.ptr, "承诺办结日期 Promised by: 2024-05-27") != NULL);
	ck_assert(strstr(b.ptr, "居民身份证 / resident identity card [id_card]  [已收 received]") != NULL);
	ck_assert(strstr(b.ptr, "婚姻状况证明 / proof of marital status [marriage_proof]  [缺 missing]") != NULL);
	ruhu_buf_dispose(&b);
	ruhu_catalogue_free(cat);
}
END_TEST

static const char head[] =
	"format catalogue 1\n"
	"category employment : 就业服务 | employment services\n";
static const char item[] =
	"item emp.x : 某事项 | some item\n"
	"  category employment\n  basis 某法\n  limit 5\n"
	"  material id_card : 居民身份证 | resident identity card\n"
	"  step 受理 | intake\n";

static void refused(const char *text, const char *want)
{
	ruhu_catalogue *cat = (ruhu_catalogue *)&cat;
	int rc = ruhu_catalogue_load_buffer(&cat, "centre.txt", text, strlen(text));

	ck_assert_msg(rc == RUHU_ESCHEMA, "accepted (%d): expected '%s'", rc, want);
	ck_assert_ptr_null(cat);
	ck_assert_msg(strstr(ruhu_error_last(), want) != NULL, "message '%s' lacks '%s'",
		      ruhu_error_last(), want);
}

START_TEST(test_catalogue_malformed_refused_with_line)
{
	static const char *const cases[][2] = {
		{ "", "centre.txt: empty catalogue" },
		{ "format catalogue 2\n", "centre.txt:1: expected 'format catalogue 1'" },
		{ "item emp.x : 事项 | item\n", "centre.txt:1: expected 'format catalogue 1'" },
		{ "format catalogue 1\n", "centre.txt: no items" },
		{ "%s%scolour red\n", "centre.txt:9: unknown catalogue field 'colour' in an item" },
		{ "%sfee 10\n%s", "centre.txt:3: unknown catalogue field 'fee' before the first item" },
		{ "%s%sitem emp.x : 又一个 | again\n", "centre.txt:9: duplicate item code emp.x (first at line 3)" },
		{ "%sitem emp.x : 某事项 | some item\n  basis b\n  limit 1\n  step s | s\n",
		  "centre.txt:3: item emp.x has no 'category'" },
		{ "%sitem emp.x : 某事项 | some item\n  category employment\n  limit 1\n  step s | s\n",
		  "centre.txt:3: item emp.x has no 'basis'" },
		{ "%sitem emp.x : 某事项 | some item\n  category employment\n  basis b\n  step s | s\n",
		  "centre.txt:3: item emp.x has no 'limit'" },
		{ "%sitem emp.x : 某事项 | some item\n  category employment\n  basis b\n  limit 1\n",
		  "centre.txt:3: item emp.x has no 'step'" },
		{ "%sitem EMP.x : 事项 | item\n", "centre.txt:3: malformed item code 'EMP.x'" },
		{ "%sitem emp : 事项 | item\n", "centre.txt:3: malformed item code 'emp'" },
		{ "%sitem 失业 : 事项 | item\n", "centre.txt:3: malformed item code '失业'" },
		{ "%sitem emp.x 事项 | item\n", "centre.txt:3: expected ': ZH | EN' after the item code" },
		{ "%sitem emp.x : 事项\n", "centre.txt:3: expected labels as 'ZH | EN'" },
		{ "%sitem emp.x : 某事项 | x\n  category other\n", "centre.txt:4: unknown category 'other'" },
		{ "%sitem emp.x : 某事项 | x\n  category employment\n  category employment\n", "centre.txt:5: item emp.x has two categories" },
		{ "%sitem emp.x : 某事项 | x\n  limit 5 days\n", "centre.txt:4: 'limit' needs a number of working days" },
		{ "%sitem emp.x : 某事项 | x\n  limit -1\n", "centre.txt:4: 'limit' needs a number of working days" },
		{ "%sitem emp.x : 某事项 | x\n  limit 366\n", "centre.txt:4: limit 366 is over 365 working days" },
		{ "%sitem emp.x : 某事项 | x\n  limit 0x1\n", "centre.txt:4: 'limit' needs a number" },
		{ "%sitem emp.x : 某事项 | x\n  limit 1\n  limit 2\n", "centre.txt:5: item emp.x has two limits" },
		{ "%sitem emp.x : 某事项 | x\n  basis\n", "centre.txt:4: 'basis' needs a value" },
		{ "%sitem emp.x : 某事项 | x\n  basis a\n  basis b\n", "centre.txt:5: item emp.x has two 'basis' lines" },
		{ "%sitem emp.x : 某事项 | x\n  material id_card : 身份证 | id\n  material id_card : 身份证 | id\n",
		  "centre.txt:5: material id_card appears twice in item emp.x" },
		{ "%sitem emp.x : 某事项 | x\n  material ID : 身份证 | id\n", "centre.txt:4: malformed material code 'ID'" },
		{ "%sitem emp.x : 某事项 | x\n  material id_card\n", "centre.txt:4: expected ': ZH | EN' after the material code" },
		{ "%sitem emp.x : 某事项 | x\n  step 受理\n", "centre.txt:4: expected 'step ZH | EN'" },
		{ "%scategory employment : 就业 | jobs\n", "centre.txt:3: category employment is declared twice" },
		{ "format catalogue 1\ncentre A\ncentre B\n", "centre.txt:3: 'centre' is given twice" },
		{ "format catalogue 1\ndefaults yes\n", "centre.txt:2: 'defaults' is a single word" },
		{ "%sformat catalogue 1\n", "centre.txt:3: 'format' must be the first line" },
		{ "%sitem emp.x : 某\xE4\xB8 | x\n", "centre.txt:3: line is not valid UTF-8" },
	};
	char text[2048];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *fmt = cases[i][0];

		/* "%s" stands for the head, a second one for a good item */
		if (!strncmp(fmt, "%s%s", 4))
			snprintf(text, sizeof(text), "%s%s%s", head, item, fmt + 4);
		else if (!strncmp(fmt, "%s", 2) && strstr(fmt + 2, "%s"))
			snprintf(text, sizeof(text), "%s%.*s%s", head,
				 (int)(strstr(fmt + 2, "%s") - fmt - 2), fmt + 2, item);
		else if (!strncmp(fmt, "%s", 2))
			snprintf(text, sizeof(text), "%s%s", head, fmt + 2);
		else
			snprintf(text, sizeof(text), "%s", fmt);
		refused(text, cases[i][1]);
	}
}
END_TEST

START_TEST(test_catalogue_centre_file_loaded_and_crlf_bom_accepted)
{
	char dir[256], path[512], text[2048];
	ruhu_catalogue *cat = NULL;
	int n;

	n = snprintf(text, sizeof(text), "\xEF\xBB\xBF# 高资\r\nformat catalogue 1\r\ncentre 高资街道人社服务中心\r\n"
		     "category employment : 就业服务 | employment services\r\n%s", item);
	rt_tmpdir(dir, sizeof(dir));
	rt_path(path, sizeof(path), dir, "gaozi-catalogue.txt");
	rt_write_file(path, text, (size_t)n);
	rt_ok(ruhu_catalogue_load_file(&cat, path));
	ck_assert_str_eq(ruhu_catalogue_centre(cat), "高资街道人社服务中心");
	ck_assert(!ruhu_catalogue_is_default(cat));
	ck_assert_str_eq(ruhu_catalogue_name(cat), path);
	ck_assert_str_eq(ruhu_item_material_label(ruhu_catalogue_item(cat, 0), 0, RUHU_LANG_EN),
			 "resident identity card");
	ruhu_catalogue_free(cat);
	rt_path(path, sizeof(path), dir, "missing.txt");
	ck_assert_int_eq(ruhu_catalogue_load_file(&cat, path), RUHU_ENOTFOUND);
	ck_assert(strstr(ruhu_error_last(), "cannot open catalogue file") != NULL);
	ck_assert(strstr(ruhu_error_last(), "no such file or directory") != NULL);
	ck_assert_ptr_null(cat);
	rt_rmrf(dir);
}
END_TEST

Suite *catalogue_suite(void)
{
	Suite *s = suite_create("catalogue");
	TCase *tc = tcase_create("catalogue");

	tcase_add_test(tc, test_catalogue_default_has_the_29_items);
	tcase_add_test(tc, test_catalogue_notice_says_everything_once);
	tcase_add_test(tc, test_catalogue_malformed_refused_with_line);
	tcase_add_test(tc, test_catalogue_centre_file_loaded_and_crlf_bom_accepted);
	suite_add_tcase(s, tc);
	return s;
}
