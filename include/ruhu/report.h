/*
 * ruhu/report.h — the service standard's duties, counted at the hub (or on
 * a tablet): deadlines (6.2.2), staffing (6.1.1), satisfaction (7.2.1),
 * complaints (7.1.3), and the operator's overview (docs/reports.md).
 *
 * Design notes
 *  1. A report is data, never text: each function fills a struct that the
 *     caller owns and frees with its _free function (NULL is fine).  On
 *     failure *out is NULL and nothing leaks.  Every string of a report is
 *     owned by the report and lives until it is freed; a field that the
 *     records do not give is NULL, never "".
 *  2. Reports read the record tables of the replica as they are now (on a
 *     hub: main's state) in one read transaction, so the numbers of one
 *     report agree with each other.  They write nothing.
 *  3. Dates are the centre's: "today" is the date in the replica's zone
 *     (`_meta.tz_minutes`, +08:00 by default) unless `as_of` names one;
 *     working days are those of the centre's calendar (the `holiday`
 *     table: weekends and holidays off, adjusted working days on).
 *  4. An application is *closed* when its status is the top of the status
 *     lattice or one of its final states (completed, rejected, referred),
 *     read from the schema; a complaint is closed likewise (closed).
 *  5. Personal data (names, complaint subjects) is in the reports because
 *     the operator needs it; the library writes none of it anywhere.
 */
#ifndef RUHU_REPORT_H
#define RUHU_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ruhu/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Who counts as a resident served (6.1.1). */
typedef enum {
	/** every `person` record of the replica (the default) */
	RUHU_SERVED_REGISTERED = 0,
	/** persons with an application or a labour dispute received, or a
	 *  visit to their household started, in the 12 months up to as_of */
	RUHU_SERVED_ACTIVE = 1
} ruhu_served;

/** How satisfaction ratings are grouped (7.2.1). */
typedef enum {
	RUHU_BY_ITEM = 0,   /**< the service item of the rated application */
	RUHU_BY_WORKER = 1, /**< the visit's worker, else the application's first responder */
	RUHU_BY_MONTH = 2   /**< the month of the visit, else of the application */
} ruhu_report_by;

#define RUHU_REPORT_OPTS_VERSION 1
#define RUHU_REPORT_WITHIN_DEFAULT 3
#define RUHU_REPORT_PER_DEFAULT 6000
#define RUHU_REPORT_MINIMUM_DEFAULT 3
/** The largest `within`: deadlines look at most a working year ahead. */
#define RUHU_REPORT_WITHIN_MAX 365

/** Options of every report; NULL means the defaults (RUHU_REPORT_OPTS_INIT). */
typedef struct {
	unsigned int version;   /**< RUHU_REPORT_OPTS_VERSION */
	const char *as_of;      /**< YYYY-MM-DD; NULL: today in the centre's zone */
	/** deadlines: working days ahead counted as due (0: due today only;
	 *  INIT: 3; at most RUHU_REPORT_WITHIN_MAX) */
	unsigned int within;
	/** deadlines: only applications of this first responder.  NULL: on a
	 *  tablet the caseworker holding it, on a hub every worker */
	const char *worker;
	int all_workers;        /**< deadlines on a tablet: every worker */
	ruhu_served served;     /**< staffing: who counts as served */
	unsigned int per;       /**< staffing: residents per caseworker; 0: 6000 */
	unsigned int minimum;   /**< staffing: fewest full-time staff; 0: 3 */
	ruhu_report_by by;      /**< satisfaction: grouping */
} ruhu_report_opts;

#define RUHU_REPORT_OPTS_INIT \
	{ RUHU_REPORT_OPTS_VERSION, NULL, RUHU_REPORT_WITHIN_DEFAULT, NULL, 0, \
	  RUHU_SERVED_REGISTERED, 0, 0, RUHU_BY_ITEM }

/** Set *opts to the defaults; RUHU_EINVALID for an unknown version. */
int ruhu_report_opts_init(ruhu_report_opts *opts, unsigned int version);

/* ------------------------------------------------------------------ */
/* Deadlines (6.2.2 限时办结)                                           */
/* ------------------------------------------------------------------ */

/** An open application that is overdue or due soon. */
typedef struct {
	const char *id;
	const char *item;            /**< catalogue code */
	const char *item_name;       /**< its Chinese name; NULL when not in the catalogue */
	const char *person;          /**< person id */
	const char *person_name;     /**< NULL when the person record is missing */
	const char *first_responder; /**< worker id */
	const char *responder_name;  /**< NULL when the worker record is missing */
	const char *status;
	const char *received;        /**< YYYY-MM-DD */
	const char *promised_by;     /**< YYYY-MM-DD */
	int overdue;                 /**< promised_by is before as_of */
	/** overdue: working days of the calendar after promised_by up to and
	 *  including as_of (0 when only days off have passed); due: working
	 *  days after as_of up to and including promised_by (0: due today) */
	int working_days;
	int calendar_days;           /**< the same span in calendar days */
} ruhu_deadline;

/** Due and overdue applications of one item or one first responder. */
typedef struct {
	const char *key;             /**< item code or worker id */
	const char *name;            /**< item or worker name; NULL when unknown */
	size_t due;
	size_t overdue;
	int most_late;               /**< most working days late among its overdue */
} ruhu_deadline_group;

typedef struct {
	char as_of[11];
	char horizon[11];            /**< the `within`-th working day after as_of */
	unsigned int within;
	const char *worker;          /**< the first responder it is limited to, or NULL */
	int worker_is_holder;        /**< that worker holds the tablet (the default there) */
	size_t open;                 /**< open applications in scope */
	size_t undated;              /**< open ones without a promised date */
	size_t overdue;
	size_t due;
	size_t holidays;             /**< rows of the calendar (holidays and adjusted days) */
	/** overdue ones first, most working days late first; then due ones,
	 *  soonest first; ties by promised date, then id */
	ruhu_deadline *entries;
	size_t count;
	ruhu_deadline_group *by_item;   /**< by item code */
	size_t nby_item;
	ruhu_deadline_group *by_worker; /**< by worker id */
	size_t nby_worker;
	struct ruhu_report_pool *pool;  /**< private: the strings */
} ruhu_deadline_report;

int ruhu_report_deadlines(ruhu_deadline_report **out, ruhu_replica *r,
			  const ruhu_report_opts *opts);
void ruhu_deadline_report_free(ruhu_deadline_report *rep);

/* ------------------------------------------------------------------ */
/* Staffing (6.1.1 人员配备)                                             */
/* ------------------------------------------------------------------ */

/** An active caseworker and what they did in the 12 months up to as_of. */
typedef struct {
	const char *id;
	const char *name;
	int64_t residents;           /**< distinct persons of their applications and visited households */
	int64_t visits;
	int64_t applications;
} ruhu_staff_member;

typedef struct {
	char as_of[11];
	char window_from[11];        /**< first day of the 12 months up to as_of */
	ruhu_served served;
	int64_t residents;           /**< by the `served` definition */
	int64_t registered;          /**< every person record */
	int64_t active;              /**< persons served in the window */
	unsigned int per;
	unsigned int minimum;
	int64_t caseworkers;         /**< worker rows: role caseworker, active = 1 */
	int64_t other_staff;         /**< active workers of other roles (not counted) */
	int64_t inactive;            /**< workers with active = 0 */
	double per_caseworker;       /**< residents / caseworkers; 0 with no caseworker */
	int64_t required;            /**< max(minimum, ceil(residents / per)) */
	int64_t shortfall;           /**< required - caseworkers, or 0 */
	int meets_ratio;             /**< caseworkers * per >= residents (and one at least when any) */
	int meets_minimum;           /**< caseworkers >= minimum */
	int meets;                   /**< both */
	ruhu_staff_member *staff;    /**< active caseworkers, by id */
	size_t nstaff;
	struct ruhu_report_pool *pool;
} ruhu_staffing_report;

int ruhu_report_staffing(ruhu_staffing_report **out, ruhu_replica *r,
			 const ruhu_report_opts *opts);
void ruhu_staffing_report_free(ruhu_staffing_report *rep);

/* ------------------------------------------------------------------ */
/* Satisfaction (7.2.1 满意测评)                                         */
/* ------------------------------------------------------------------ */

/** Ratings of one group (or of all: the report's `total`). */
typedef struct {
	const char *key;             /**< item code, worker id or YYYY-MM; NULL: none known */
	const char *name;            /**< item or worker name; NULL when unknown */
	int64_t count;
	int64_t sum;                 /**< of the scores */
	int64_t scores[5];           /**< how many of each score, 1 to 5 */
	double mean;                 /**< sum / count; 0 when count is 0 */
	int64_t satisfied;           /**< scores 4 and 5 */
} ruhu_satisfaction_group;

typedef struct {
	ruhu_report_by by;
	ruhu_satisfaction_group total;
	ruhu_satisfaction_group *groups; /**< by key; the group without a key last */
	size_t ngroups;
	struct ruhu_report_pool *pool;
} ruhu_satisfaction_report;

int ruhu_report_satisfaction(ruhu_satisfaction_report **out, ruhu_replica *r,
			     const ruhu_report_opts *opts);
void ruhu_satisfaction_report_free(ruhu_satisfaction_report *rep);

/* ------------------------------------------------------------------ */
/* Complaints (7.1.3 投诉)                                              */
/* ------------------------------------------------------------------ */

typedef struct {
	const char *id;
	const char *person;          /**< NULL: an anonymous complaint */
	const char *person_name;
	const char *channel;
	const char *subject;
	const char *received;        /**< as recorded (a date-time) */
	const char *status;
	const char *response;        /**< NULL when none */
	const char *feedback_at;     /**< NULL when none */
	int days;                    /**< calendar days from its receipt to as_of */
} ruhu_complaint_entry;

typedef struct {
	const char *status;
	int64_t count;
} ruhu_complaint_status;

typedef struct {
	char as_of[11];
	int64_t total;
	int64_t open;                /**< status not closed */
	int64_t closed;
	int64_t closed_no_feedback;  /**< closed without feedback_at or without a response */
	ruhu_complaint_status *by_status; /**< every state of the lattice, in order */
	size_t nby_status;
	ruhu_complaint_entry *open_list;  /**< oldest first */
	size_t nopen;
	ruhu_complaint_entry *no_feedback; /**< closed without feedback, oldest first */
	size_t nno_feedback;
	struct ruhu_report_pool *pool;
} ruhu_complaint_report;

int ruhu_report_complaints(ruhu_complaint_report **out, ruhu_replica *r,
			   const ruhu_report_opts *opts);
void ruhu_complaint_report_free(ruhu_complaint_report *rep);

/* ------------------------------------------------------------------ */
/* The operator's overview                                              */
/* ------------------------------------------------------------------ */

/** A tablet as the hub knows it (ruhu_hub_devices). */
typedef struct {
	const char *id;
	const char *worker;
	const char *worker_name;
	int64_t enrolled_ms;
	int64_t revoked_ms;          /**< 0: not revoked */
	const char *reason;          /**< of the revocation, or NULL */
	int64_t last_seq;            /**< newest save merged (0: none) */
	int64_t last_bundle_ms;      /**< 0: no bundle yet */
	size_t waiting;              /**< bundles held for prerequisites */
} ruhu_overview_device;

/** Open review items of one kind. */
typedef struct {
	const char *kind;
	int64_t count;
	int64_t oldest_ms;           /**< when the oldest of them was opened */
} ruhu_overview_review;

typedef struct {
	char role[16];               /**< "hub" or "device" */
	const char *self;            /**< hub or device id */
	const char *centre;          /**< centre code, NULL when unknown */
	const char *centre_name;
	char as_of[11];
	int64_t made_ms;             /**< when the overview was made (the replica's clock) */
	int tz_minutes;              /**< the centre's zone, minutes east of UTC */
	int is_hub;                  /**< devices and reviews are only known on a hub */
	ruhu_overview_device *devices;
	size_t ndevices;
	size_t revoked_devices;      /**< of them, revoked */
	size_t waiting_bundles;      /**< bundles held for prerequisites, all tablets */
	ruhu_overview_review *reviews;
	size_t nreviews;
	int64_t review_open;         /**< open items in all */
	ruhu_deadline_report *deadlines;
	ruhu_staffing_report *staffing;
	ruhu_satisfaction_report *satisfaction;    /**< by item */
	ruhu_complaint_report *complaints;
	struct ruhu_report_pool *pool;
} ruhu_overview;

/** Everything the operator's page shows, from one read transaction.
 *  opts->by is ignored (satisfaction is by item). */
int ruhu_report_overview(ruhu_overview **out, ruhu_replica *r, const ruhu_report_opts *opts);
void ruhu_overview_free(ruhu_overview *ov);

/** "item", "worker", "month" (the CLI's words for ruhu_report_by). */
const char *ruhu_report_by_name(ruhu_report_by by);
/** "registered", "active". */
const char *ruhu_served_name(ruhu_served served);

#ifdef __cplusplus
}
#endif
#endif
