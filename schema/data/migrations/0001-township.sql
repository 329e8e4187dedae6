-- 0001-township.sql — the record tables of a township HR and social-security
-- service centre (入户服务), first version.
--
-- Rules every record table here follows (checked when the schema loads; see
-- docs/schema.md):
--  * STRICT, keyed by `id TEXT PRIMARY KEY NOT NULL`: a lowercase UUID v7
--    made by the caller for new records (worker: the centre's staff id).
--  * CHECK constraints call ruhu's validators (schema/sqlfunc.c), which fail
--    the statement with a message naming the field.  NULL passes a
--    validator; NOT NULL says what is required.
--  * No UNIQUE, no FOREIGN KEY, no triggers: they break changeset apply.
--    References and duplicate keys are declared in township.rules.
--  * Money is in fen (分), an INTEGER; dates are YYYY-MM-DD; date-times are
--    ISO 8601 with seconds and, written by ruhu, the zone (+08:00).
--  * Token sets (union fields) are sorted, comma-separated tokens; the
--    empty set is NULL.
-- Tables are created in schema order; township.rules fixes that order.

CREATE TABLE worker (
	id     TEXT PRIMARY KEY NOT NULL CHECK (ruhu_code(id, 'worker.id')),
	name   TEXT NOT NULL CHECK (ruhu_text(name, 'worker.name', 64)),
	role   TEXT NOT NULL DEFAULT 'caseworker'
	       CHECK (ruhu_enum(role, 'worker.role', 'caseworker,operator,supervisor,auditor')),
	phone  TEXT CHECK (ruhu_mobile(phone, 'worker.phone')),
	active INTEGER NOT NULL DEFAULT 1 CHECK (ruhu_range(active, 'worker.active', 0, 1))
) STRICT;

CREATE TABLE holiday (
	id   TEXT PRIMARY KEY NOT NULL CHECK (ruhu_uuid(id, 'holiday.id')),
	date TEXT NOT NULL CHECK (ruhu_date(date, 'holiday.date')),
	kind TEXT NOT NULL CHECK (ruhu_enum(kind, 'holiday.kind', 'holiday,workday')),
	name TEXT CHECK (ruhu_text(name, 'holiday.name', 64))
) STRICT;
CREATE INDEX holiday_date ON holiday(date);

CREATE TABLE household (
	id             TEXT PRIMARY KEY NOT NULL CHECK (ruhu_uuid(id, 'household.id')),
	address        TEXT NOT NULL CHECK (ruhu_text(address, 'household.address', 200)),
	village        TEXT CHECK (ruhu_text(village, 'household.village', 64)),
	head_person_id TEXT CHECK (ruhu_uuid(head_person_id, 'household.head_person_id')),
	phone          TEXT CHECK (ruhu_phone(phone, 'household.phone')),
	notes          TEXT
) STRICT;

CREATE TABLE person (
	id                  TEXT PRIMARY KEY NOT NULL CHECK (ruhu_uuid(id, 'person.id')),
	household_id        TEXT CHECK (ruhu_uuid(household_id, 'person.household_id')),
	name                TEXT NOT NULL CHECK (ruhu_text(name, 'person.name', 64)),
	id_number           TEXT CHECK (ruhu_id_number(id_number, 'person.id_number')),
	gender              TEXT CHECK (ruhu_enum(gender, 'person.gender', 'female,male')),
	birth_date          TEXT CHECK (ruhu_date(birth_date, 'person.birth_date')),
	phone               TEXT CHECK (ruhu_phone(phone, 'person.phone')),
	address             TEXT CHECK (ruhu_text(address, 'person.address', 200)),
	employment_status   TEXT CHECK (ruhu_enum(employment_status, 'person.employment_status',
	                                          'employed,unemployed,flexible,retired,student,other')),
	difficulty_category TEXT CHECK (ruhu_tokens(difficulty_category, 'person.difficulty_category',
	                                            'aged,disabled,land_lost,long_term_unemployed,' ||
	                                            'low_income,zero_employment_family,other')),
	notes               TEXT
) STRICT;
CREATE INDEX person_household ON person(household_id);
CREATE INDEX person_id_number ON person(id_number);

CREATE TABLE visit (
	id           TEXT PRIMARY KEY NOT NULL CHECK (ruhu_uuid(id, 'visit.id')),
	household_id TEXT NOT NULL CHECK (ruhu_uuid(household_id, 'visit.household_id')),
	worker_id    TEXT NOT NULL CHECK (ruhu_code(worker_id, 'visit.worker_id')),
	device_id    TEXT NOT NULL CHECK (ruhu_code(device_id, 'visit.device_id')),
	purpose      TEXT NOT NULL
	             CHECK (ruhu_enum(purpose, 'visit.purpose', 'publicity,intake,follow_up,certification')),
	started_at   TEXT NOT NULL CHECK (ruhu_datetime(started_at, 'visit.started_at')),
	ended_at     TEXT CHECK (ruhu_datetime(ended_at, 'visit.ended_at')),
	summary      TEXT,
	location     TEXT CHECK (ruhu_text(location, 'visit.location', 200)),
	CHECK (ruhu_not_before(ended_at, started_at, 'visit.ended_at', 'visit.started_at'))
) STRICT;
CREATE INDEX visit_household ON visit(household_id);

CREATE TABLE application (
	id                 TEXT PRIMARY KEY NOT NULL CHECK (ruhu_uuid(id, 'application.id')),
	person_id          TEXT NOT NULL CHECK (ruhu_uuid(person_id, 'application.person_id')),
	visit_id           TEXT CHECK (ruhu_uuid(visit_id, 'application.visit_id')),
	item               TEXT NOT NULL CHECK (ruhu_code(item, 'application.item')),
	status             TEXT NOT NULL DEFAULT 'received'
	                   CHECK (ruhu_enum(status, 'application.status', 'received,materials_pending,' ||
	                                    'accepted,processing,completed,rejected,referred')),
	received_at        TEXT NOT NULL CHECK (ruhu_datetime(received_at, 'application.received_at')),
	promised_by        TEXT CHECK (ruhu_date(promised_by, 'application.promised_by')),
	first_responder    TEXT NOT NULL CHECK (ruhu_code(first_responder, 'application.first_responder')),
	materials_received TEXT CHECK (ruhu_tokens(materials_received, 'application.materials_received')),
	result             TEXT,
	referred_to        TEXT CHECK (ruhu_text(referred_to, 'application.referred_to', 200)),
	notes              TEXT,
	CHECK (ruhu_not_before(promised_by, received_at, 'application.promised_by',
	                       'application.received_at'))
) STRICT;
CREATE INDEX application_person ON application(person_id);
CREATE INDEX application_status ON application(status, promised_by);

CREATE TABLE dispute (
	id             TEXT PRIMARY KEY NOT NULL CHECK (ruhu_uuid(id, 'dispute.id')),
	person_id      TEXT NOT NULL CHECK (ruhu_uuid(person_id, 'dispute.person_id')),
	visit_id       TEXT CHECK (ruhu_uuid(visit_id, 'dispute.visit_id')),
	employer_name  TEXT NOT NULL CHECK (ruhu_text(employer_name, 'dispute.employer_name', 200)),
	employer_code  TEXT CHECK (ruhu_credit_code(employer_code, 'dispute.employer_code')),
	kind           TEXT NOT NULL
	               CHECK (ruhu_enum(kind, 'dispute.kind', 'wages,contract,social_insurance,' ||
	                                'working_hours,injury,dismissal,other')),
	status         TEXT NOT NULL DEFAULT 'received'
	               CHECK (ruhu_enum(status, 'dispute.status', 'received,mediating,settled,forwarded')),
	received_at    TEXT CHECK (ruhu_datetime(received_at, 'dispute.received_at')),
	amount_claimed INTEGER CHECK (ruhu_range(amount_claimed, 'dispute.amount_claimed', 0, 100000000000)),
	description    TEXT,
	outcome        TEXT
) STRICT;
CREATE INDEX dispute_person ON dispute(person_id);

CREATE TABLE complaint (
	id          TEXT PRIMARY KEY NOT NULL CHECK (ruhu_uuid(id, 'complaint.id')),
	person_id   TEXT CHECK (ruhu_uuid(person_id, 'complaint.person_id')),
	channel     TEXT NOT NULL
	            CHECK (ruhu_enum(channel, 'complaint.channel', 'visit,window,phone,letter,online,other')),
	subject     TEXT NOT NULL CHECK (ruhu_text(subject, 'complaint.subject', 200)),
	received_at TEXT NOT NULL CHECK (ruhu_datetime(received_at, 'complaint.received_at')),
	status      TEXT NOT NULL DEFAULT 'received'
	            CHECK (ruhu_enum(status, 'complaint.status', 'received,handling,responded,closed')),
	response    TEXT,
	feedback_at TEXT CHECK (ruhu_datetime(feedback_at, 'complaint.feedback_at')),
	CHECK (ruhu_not_before(feedback_at, received_at, 'complaint.feedback_at', 'complaint.received_at'))
) STRICT;

CREATE TABLE survey (
	id             TEXT PRIMARY KEY NOT NULL CHECK (ruhu_uuid(id, 'survey.id')),
	visit_id       TEXT CHECK (ruhu_uuid(visit_id, 'survey.visit_id')),
	application_id TEXT CHECK (ruhu_uuid(application_id, 'survey.application_id')),
	score          INTEGER NOT NULL CHECK (ruhu_range(score, 'survey.score', 1, 5)),
	comment        TEXT,
	CONSTRAINT survey_rates_a_visit_or_application
		CHECK (visit_id IS NOT NULL OR application_id IS NOT NULL)
) STRICT;

CREATE TABLE attachment (
	id          TEXT PRIMARY KEY NOT NULL CHECK (ruhu_uuid(id, 'attachment.id')),
	record_type TEXT NOT NULL
	            CHECK (ruhu_enum(record_type, 'attachment.record_type',
	                             'household,person,visit,application,dispute,complaint')),
	record_id   TEXT NOT NULL CHECK (ruhu_uuid(record_id, 'attachment.record_id')),
	blob_id     TEXT NOT NULL CHECK (ruhu_hex(blob_id, 'attachment.blob_id', 40)),
	mime        TEXT NOT NULL CHECK (ruhu_text(mime, 'attachment.mime', 100)),
	bytes       INTEGER NOT NULL CHECK (ruhu_range(bytes, 'attachment.bytes', 0, 1073741824)),
	caption     TEXT,
	taken_at    TEXT CHECK (ruhu_datetime(taken_at, 'attachment.taken_at'))
) STRICT;
CREATE INDEX attachment_record ON attachment(record_type, record_id);
