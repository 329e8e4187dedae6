/*
 * audit_sigpool.c — SSH signature checks on a helper thread while the
 * calling thread reads objects and replays the history (`audit verify`).
 *
 * Design notes
 *  1. A check is pure computation (SHA-512 and Ed25519 over bytes the caller
 *     read): no libgit2 and no SQLite on the helper thread, so the
 *     one-repository-per-thread rule holds; a message the check sets stays
 *     in the helper's own (thread-local) last error.
 *  2. Jobs go into a bounded ring.  When the ring is full, the caller checks
 *     the job itself instead of waiting: both threads stay busy and memory
 *     stays bounded (RING jobs of one commit each).
 *  3. Results land in a per-commit array owned by the caller; each slot is
 *     written by exactly one thread, and the caller reads them only after
 *     audit_sigpool_finish has joined the helper.
 *  4. Without threads (or when the thread cannot start), every job is
 *     checked on the calling thread at submission.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sync/audit_sigpool.h"

#define RING 1024
#define BATCH 64

struct job {
	uint32_t slot;
	ruhu_buf sig, data;
};

struct audit_sigpool {
	struct audit_sig *results;
	struct job ring[RING];
	size_t head, count;        /* ring: next job to take, jobs queued */
	int closing, running, idle; /* idle: the helper waits for work */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t more;
};

static void run(struct audit_sig *results, struct job *j)
{
	audit_sig_check(&results[j->slot], &j->sig, &j->data);
	ruhu_buf_dispose(&j->sig);
	ruhu_buf_dispose(&j->data);
}

/* The helper takes up to BATCH jobs per lock, and is woken only when it
 * waits and a whole batch is queued: a wake-up per job (a futex call and a
 * context switch) cost more than the checks saved. */
static void *helper(void *arg)
{
	struct audit_sigpool *p = arg;
	struct job batch[BATCH];

	for (;;) {
		size_t n = 0;

		pthread_mutex_lock(&p->mu);
		while (p->count == 0 && !p->closing) {
			p->idle = 1;
			pthread_cond_wait(&p->more, &p->mu);
			p->idle = 0;
		}
		while (p->count && n < BATCH) {
			batch[n++] = p->ring[p->head];
			memset(&p->ring[p->head], 0, sizeof(p->ring[p->head]));
			p->head = (p->head + 1) % RING;
			p->count--;
		}
		pthread_mutex_unlock(&p->mu);
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++)
			run(p->results, &batch[i]);
	}
	return NULL;
}

int audit_sigpool_start(struct audit_sigpool **out, struct audit_sig *results, unsigned int threads)
{
	struct audit_sigpool *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (p == NULL)
		return ruhu_error_oom();
	p->results = results;
	if (threads != 1 && pthread_mutex_init(&p->mu, NULL) == 0) {
		if (pthread_cond_init(&p->more, NULL) == 0) {
			if (pthread_create(&p->thread, NULL, helper, p) == 0)
				p->running = 1;
			else
				pthread_cond_destroy(&p->more);
		}
		if (!p->running)
			pthread_mutex_destroy(&p->mu);
	}
	*out = p;
	return 0;
}

void audit_sigpool_submit(struct audit_sigpool *p, uint32_t slot, ruhu_buf *sig, ruhu_buf *data)
{
	struct job j;

	memset(&j, 0, sizeof(j));
	j.slot = slot;
	j.sig = *sig;
	j.data = *data;
	memset(sig, 0, sizeof(*sig));
	memset(data, 0, sizeof(*data));
	if (p->running) {
		pthread_mutex_lock(&p->mu);
		if (p->count < RING) {
			p->ring[(p->head + p->count) % RING] = j;
			p->count++;
			if (p->idle && p->count >= BATCH)
				pthread_cond_signal(&p->more);
			pthread_mutex_unlock(&p->mu);
			return;
		}
		pthread_mutex_unlock(&p->mu);
	}
	run(p->results, &j); /* design note 2 */
}

void audit_sigpool_finish(struct audit_sigpool *p)
{
	if (p == NULL)
		return;
	if (p->running) {
		pthread_mutex_lock(&p->mu);
		p->closing = 1;
		pthread_cond_broadcast(&p->more);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thread, NULL);
		pthread_cond_destroy(&p->more);
		pthread_mutex_destroy(&p->mu);
		p->running = 0;
	}
	for (; p->count; p->count--) {
		run(p->results, &p->ring[p->head]);
		p->head = (p->head + 1) % RING;
	}
	free(p);
}
