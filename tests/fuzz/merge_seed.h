/*
 * merge_seed.h — the hub database the merge fuzz target merges into
 * (merge_fuzz.c), and the tablet edits whose changesets seed its corpus
 * (seeds_sync.c writes them): rows a tablet and its hub share, the hub's own
 * later edits of some of them, and a tablet's edits of the same fields, so
 * that every rule of the township schema has a conflict to decide.
 */
#ifndef RUHU_FUZZ_MERGE_SEED_H
#define RUHU_FUZZ_MERGE_SEED_H

#define MS_ID(n) "01890a5d-ac96-774b-bcce-b302099000" #n
#define MS_Q(n) "'" MS_ID(n) "'"

/* What tablet and hub both have. */
static const char ms_base_sql[] =
	"INSERT INTO worker (id, name, role, phone, active) VALUES"
	" ('w-01', '李娜', 'caseworker', '13912345678', 1);"
	"INSERT INTO holiday (id, date, kind, name) VALUES (" MS_Q(10) ", '2026-10-01', 'holiday', '国庆节');"
	"INSERT INTO household (id, address, village, phone, notes) VALUES"
	" (" MS_Q(11) ", '高资街道高资村 8 号', '高资村', '0511-85012345', '户内三人');"
	"INSERT INTO person (id, household_id, name, id_number, gender, birth_date, phone,"
	" employment_status, difficulty_category, notes) VALUES (" MS_Q(12) ", " MS_Q(11) ", '王芳',"
	" '11010519491231002X', 'female', '1949-12-31', '13912345678', 'retired', 'aged', 'n0');"
	"INSERT INTO person (id, household_id, name, phone, employment_status) VALUES"
	" (" MS_Q(20) ", " MS_Q(11) ", '王强', '13912345600', 'unemployed');"
	"INSERT INTO visit (id, household_id, worker_id, device_id, purpose, started_at, summary, location)"
	" VALUES (" MS_Q(13) ", " MS_Q(11) ", 'w-01', 'tab-07', 'intake', '2026-05-06T09:00:00+08:00',"
	" '入户受理', '高资村');"
	"INSERT INTO application (id, person_id, visit_id, item, status, received_at, promised_by,"
	" first_responder, materials_received, notes) VALUES (" MS_Q(14) ", " MS_Q(12) ", " MS_Q(13) ","
	" 'ss.retiree_certification', 'received', '2026-05-06T09:10:00+08:00', '2026-05-20',"
	" 'w-01', 'id_card', 'a0');"
	"INSERT INTO complaint (id, person_id, channel, subject, received_at, status) VALUES"
	" (" MS_Q(16) ", " MS_Q(12) ", 'visit', '窗口等候时间长', '2026-05-06T09:30:00+08:00', 'received');"
	"INSERT INTO survey (id, visit_id, score, comment) VALUES (" MS_Q(17) ", " MS_Q(13) ", 5, '满意');";

/* What the hub changed since (the tablet has not seen it). */
static const char ms_hub_sql[] =
	"UPDATE person SET phone = '13800000001', notes = 'n0\n户籍核实', difficulty_category = 'aged,disabled'"
	" WHERE id = " MS_Q(12) ";"
	"UPDATE household SET notes = '户内三人\n门口有狗' WHERE id = " MS_Q(11) ";"
	"UPDATE application SET status = 'processing', materials_received = 'household_register,id_card'"
	" WHERE id = " MS_Q(14) ";"
	"DELETE FROM person WHERE id = " MS_Q(20) ";";

/* A tablet's saves, each one changeset (seeds of the merge corpus). */
static const char *const ms_device_sql[] = {
	/* lww, append, union against the hub's edits */
	"UPDATE person SET phone = '13700000002', notes = 'n0\n电话回访', difficulty_category = 'aged,low_income'"
	" WHERE id = " MS_Q(12),
	/* order, union, review (result) */
	"UPDATE application SET status = 'accepted', materials_received = 'employment_certificate,id_card',"
	" result = '已办结' WHERE id = " MS_Q(14),
	/* an update of a record the hub deleted */
	"UPDATE person SET employment_status = 'employed' WHERE id = " MS_Q(20),
	/* a new resident: a possible duplicate of another's id number */
	"INSERT INTO person (id, household_id, name, id_number) VALUES (" MS_Q(30) ", " MS_Q(11) ","
	" '王芳', '11010519491231002X')",
	/* a new household and a resident in it, a visit, an application */
	"INSERT INTO household (id, address) VALUES (" MS_Q(31) ", '高资村 9 号');"
	"INSERT INTO person (id, household_id, name) VALUES (" MS_Q(32) ", " MS_Q(31) ", '李明');"
	"INSERT INTO visit (id, household_id, worker_id, device_id, purpose, started_at)"
	" VALUES (" MS_Q(33) ", " MS_Q(31) ", 'w-01', 'tab-07', 'follow_up', '2026-05-07T10:00:00+08:00');"
	"INSERT INTO application (id, person_id, visit_id, item, status, received_at, first_responder)"
	" VALUES (" MS_Q(34) ", " MS_Q(32) ", " MS_Q(33) ", 'emp.assistance', 'received',"
	" '2026-05-07T10:05:00+08:00', 'w-01')",
	/* a record whose parent the hub deleted */
	"INSERT INTO application (id, person_id, item, status, received_at, first_responder)"
	" VALUES (" MS_Q(35) ", " MS_Q(20) ", 'ss.card_check', 'received', '2026-05-07T11:00:00+08:00', 'w-01')",
	/* deletes: one the hub kept, one the hub changed */
	"DELETE FROM survey WHERE id = " MS_Q(17) ";"
	"DELETE FROM household WHERE id = " MS_Q(11),
	/* a visit closed, a hub-only field, a complaint's status */
	"UPDATE visit SET ended_at = '2026-05-06T10:00:00+08:00', summary = '入户受理\n已完成' WHERE id = " MS_Q(13) ";"
	"UPDATE worker SET phone = '13900000000' WHERE id = 'w-01';"
	"UPDATE complaint SET status = 'closed' WHERE id = " MS_Q(16),
};

#define MS_NDEVICE (sizeof(ms_device_sql) / sizeof(ms_device_sql[0]))

#endif
