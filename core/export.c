/*
 * export.c — the object store as a bare git repository with signers (see
 * core/export.h for the design notes).
 *
 * Design notes (of this file)
 *  1. The ids of the store are collected first (git_odb_foreach) and only
 *     then read: a foreach callback never calls back into the object database.
 *  2. The pack is made by libgit2's packbuilder from the store and written
 *     with its indexer straight into OUTDIR/objects/pack.
 *  3. The export is an ordinary repository on disk: here libgit2's ref and
 *     config APIs are the right tools (unlike on the store).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/export.h"
#include "core/odb.h"
#include "core/sshsig.h"

typedef struct {
	git_oid *ids;
	size_t n, alloc;
} id_list;

static int collect(const git_oid *id, void *payload)
{
	id_list *l = payload;
	git_oid *grown;

	if (l->n == l->alloc) {
		size_t alloc = l->alloc ? l->alloc * 2 : 1024;

		if ((grown = realloc(l->ids, alloc * sizeof(*grown))) == NULL)
			return ruhu_error_oom();
		l->ids = grown;
		l->alloc = alloc;
	}
	l->ids[l->n++] = *id;
	return 0;
}

/* OUTDIR must be missing or empty (export.h, design note 6). */
static int check_outdir(const char *outdir)
{
	DIR *d = opendir(outdir);
	struct dirent *e;
	int used = 0;

	if (d == NULL)
		return errno == ENOENT ? 0
		       : ruhu_error_set(RUHU_EEXISTS, "%s exists and is not an empty folder", outdir);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			used = 1;
	closedir(d);
	return used ? ruhu_error_set(RUHU_EEXISTS, "%s exists and is not empty", outdir) : 0;
}

static int write_pack(git_repository *src, const char *outdir)
{
	git_odb *odb = NULL;
	git_packbuilder *pb = NULL;
	id_list ids = { NULL, 0, 0 };
	ruhu_buf dir = RUHU_BUF_INIT;
	int error;

	if ((error = git_repository_odb(&odb, src)) < 0) {
		error = ruhu_git_error(error, "cannot open the object store");
		goto done;
	}
	if ((error = git_odb_foreach(odb, collect, &ids)) != 0) {
		if (error != RUHU_ENOMEM)
			error = ruhu_git_error(error, "cannot list the object store");
		goto done;
	}
	if (ids.n == 0)
		goto done;
	if ((error = git_packbuilder_new(&pb, src)) < 0) {
		error = ruhu_git_error(error, "cannot start a pack");
		goto done;
	}
	for (size_t i = 0; i < ids.n; i++)
		if ((error = git_packbuilder_insert(pb, &ids.ids[i], NULL)) < 0) {
			error = ruhu_git_error(error, "cannot pack object %s", git_oid_tostr_s(&ids.ids[i]));
			goto done;
		}
	if ((error = ruhu_buf_printf(&dir, "%s/objects/pack", outdir)) < 0)
		goto done;
	if ((error = git_packbuilder_write(pb, dir.ptr, 0, NULL, NULL)) < 0)
		error = ruhu_git_error(error, "cannot write the pack into %s", dir.ptr);
done:
	git_packbuilder_free(pb);
	git_odb_free(odb);
	free(ids.ids);
	ruhu_buf_dispose(&dir);
	return error;
}

static int write_refs(git_repository *dst, const ruhu_export_ref *refs, size_t nrefs)
{
	ruhu_buf name = RUHU_BUF_INIT, head = RUHU_BUF_INIT;
	git_reference *ref = NULL;
	int error = 0;

	for (size_t i = 0; i < nrefs; i++) {
		ruhu_buf_clear(&name);
		if (refs[i].name == NULL) {
			error = ruhu_error_set(RUHU_EINVALID, "export ref %zu has no name", i);
			goto done;
		}
		if ((error = ruhu_buf_printf(&name, "%s%s",
				strncmp(refs[i].name, "refs/", 5) ? "refs/heads/" : "",
				refs[i].name)) < 0)
			goto done;
		if ((error = git_reference_create(&ref, dst, name.ptr, &refs[i].oid, 1,
				"ruhu export")) < 0) {
			error = ruhu_git_error(error, "cannot export ref %s", name.ptr);
			goto done;
		}
		git_reference_free(ref);
		ref = NULL;
		/* export.h, design note 3 */
		if (!strncmp(name.ptr, "refs/heads/", 11) &&
		    (head.size == 0 || !strcmp(name.ptr, "refs/heads/main"))) {
			ruhu_buf_clear(&head);
			if ((error = ruhu_buf_puts(&head, name.ptr)) < 0)
				goto done;
		}
	}
	if (head.size && (error = git_repository_set_head(dst, head.ptr)) < 0)
		error = ruhu_git_error(error, "cannot point HEAD at %s", head.ptr);
done:
	ruhu_buf_dispose(&name);
	ruhu_buf_dispose(&head);
	return error;
}

static int write_signers(const char *outdir, const ruhu_export_signer *signers, size_t n)
{
	ruhu_buf text = RUHU_BUF_INIT, path = RUHU_BUF_INIT;
	FILE *f = NULL;
	int error = 0;

	for (size_t i = 0; i < n; i++)
		if ((error = ruhu_sshsig_allowed_signer_line(&text, signers[i].principal,
				signers[i].key, signers[i].valid_before_ms)) < 0 ||
		    (error = ruhu_buf_putc(&text, '\n')) < 0)
			goto done;
	if ((error = ruhu_buf_printf(&path, "%s/allowed_signers", outdir)) < 0)
		goto done;
	if ((f = fopen(path.ptr, "wb")) == NULL ||
	    (text.size && fwrite(text.ptr, 1, text.size, f) != text.size)) {
		error = ruhu_error_set(RUHU_ERROR, "cannot write %s: %s", path.ptr, strerror(errno));
		goto done;
	}
	if (fclose(f) != 0) {
		f = NULL;
		error = ruhu_error_set(RUHU_ERROR, "cannot write %s: %s", path.ptr, strerror(errno));
		goto done;
	}
	f = NULL;
done:
	if (f)
		fclose(f);
	ruhu_buf_dispose(&text);
	ruhu_buf_dispose(&path);
	return error;
}

static int write_config(git_repository *dst)
{
	git_config *cfg = NULL;
	int error;

	if ((error = git_repository_config(&cfg, dst)) < 0 ||
	    (error = git_config_set_string(cfg, "gpg.format", "ssh")) < 0 ||
	    (error = git_config_set_string(cfg, "gpg.ssh.allowedSignersFile", "allowed_signers")) < 0)
		error = ruhu_git_error(error, "cannot write the export's config");
	git_config_free(cfg);
	return error;
}

int ruhu_export(const char *outdir, git_repository *repo, const ruhu_export_ref *refs,
	size_t nrefs, const ruhu_export_signer *signers, size_t nsigners)
{
	git_repository_init_options init;
	git_repository *dst = NULL;
	int error;

	if ((error = check_outdir(outdir)) < 0)
		return error;
	git_repository_init_options_init(&init, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	init.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH |
		     GIT_REPOSITORY_INIT_NO_REINIT;
	init.initial_head = "main";
	init.description = "ruhu history export";
	if ((error = git_repository_init_ext(&dst, outdir, &init)) < 0) {
		error = ruhu_git_error(error, "cannot make a repository at %s", outdir);
		goto done;
	}
	if ((error = write_pack(repo, outdir)) < 0 ||
	    (error = write_refs(dst, refs, nrefs)) < 0 ||
	    (error = write_signers(outdir, signers, nsigners)) < 0 ||
	    (error = write_config(dst)) < 0)
		goto done;
done:
	git_repository_free(dst);
	return error;
}
