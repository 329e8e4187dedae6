/*
 * trust.c — a commit's signature against the keys known for its maker
 * (see trust.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/commit.h"
#include "core/identity.h"
#include "core/odb.h"
#include "core/trust.h"

struct keyring {
	unsigned char (*keys)[32];
	int64_t *revoked;
	size_t n;
};

static int collect(const ruhu_signer *s, void *payload)
{
	struct keyring *k = payload;
	unsigned char (*keys)[32] = realloc(k->keys, (k->n + 1) * sizeof(*keys));
	int64_t *rev;

	if (keys == NULL)
		return ruhu_error_oom();
	k->keys = keys;
	if ((rev = realloc(k->revoked, (k->n + 1) * sizeof(*rev))) == NULL)
		return ruhu_error_oom();
	k->revoked = rev;
	memcpy(k->keys[k->n], s->key, 32);
	k->revoked[k->n] = s->revoked_ms;
	k->n++;
	return 0;
}

int ruhu_trust_commit(char *out, ruhu_replica *r, const git_oid *id, const char *device)
{
	git_repository *repo;
	git_commit *c = NULL;
	ruhu_trailers tr = RUHU_TRAILERS_INIT;
	struct keyring k = { NULL, NULL, 0 };
	ruhu_commit_sig sig;
	int error;

	*out = 'E';
	if ((error = ruhu_replica_repo(&repo, r)) < 0)
		goto done;
	if (device == NULL || device[0] == '\0') {
		if ((error = git_commit_lookup(&c, repo, id)) < 0) {
			error = ruhu_git_error(error, "cannot read commit");
			goto done;
		}
		if ((error = ruhu_trailers_parse(&tr, git_commit_message(c))) < 0)
			goto done;
		device = ruhu_trailers_get(&tr, "Ruhu-Device");
	}
	if (device && device[0] &&
	    (error = ruhu_signers_foreach(ruhu_replica_db(r), device, collect, &k)) < 0)
		goto done;
	if (k.n == 0) {
		/* nobody of that name is known: the signature can at best be
		 * valid by an unknown key */
		if ((error = ruhu_commit_verify(&sig, repo, id, NULL, 0)) < 0)
			goto done;
		*out = sig.status == RUHU_SIG_GOOD ? 'U' : ruhu_sig_status_letter(sig.status);
		goto done;
	}
	if ((error = ruhu_commit_verify(&sig, repo, id, (const unsigned char (*)[32])k.keys, k.n)) < 0)
		goto done;
	*out = ruhu_sig_status_letter(sig.status);
	if (sig.status == RUHU_SIG_GOOD && sig.has_signer) {
		if (c == NULL && (error = git_commit_lookup(&c, repo, id)) < 0) {
			error = ruhu_git_error(error, "cannot read commit");
			goto done;
		}
		for (size_t i = 0; i < k.n; i++)
			if (!memcmp(k.keys[i], sig.signer, 32) && k.revoked[i] &&
			    k.revoked[i] <= (int64_t)git_commit_committer(c)->when.time * 1000)
				*out = 'R';
	}
done:
	git_commit_free(c);
	ruhu_trailers_dispose(&tr);
	free(k.keys);
	free(k.revoked);
	return error;
}
