/*
 * driver.c — replays files through a fuzz target without libFuzzer: every
 * regular file of each folder given (in name order), or each file given.
 * ctest runs it over the target's seed corpus in every build (label fuzz),
 * so that the sanitizer build replays the corpora too.  Exit 0 when every
 * input went through; a crash or a failed property ends the process.
 *
 *   fuzz_NAME tests/fuzz/corpus/NAME [more folders or files]
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t size = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	for (;;) {
		if (cap - size < 65536) {
			unsigned char *p = realloc(data, cap = cap ? cap * 2 : 65536);

			if (p == NULL) {
				fclose(f);
				free(data);
				return -1;
			}
			data = p;
		}
		if ((n = fread(data + size, 1, cap - size, f)) == 0)
			break;
		size += n;
	}
	fclose(f);
	/* an exact-size copy, so that ASan sees a read past the input */
	{
		unsigned char *exact = malloc(size ? size : 1);

		if (exact == NULL) {
			free(data);
			return -1;
		}
		memcpy(exact, data, size);
		free(data);
		LLVMFuzzerTestOneInput(exact, size);
		free(exact);
	}
	return 0;
}

static int replay(const char *path, unsigned *count)
{
	struct dirent **names = NULL;
	struct stat st;
	char child[4096];
	int n, error = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "no such corpus: %s\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	if ((n = scandir(path, &names, NULL, alphasort)) < 0) {
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		snprintf(child, sizeof(child), "%s/%s", path, names[i]->d_name);
		if (error == 0 && stat(child, &st) == 0 && S_ISREG(st.st_mode)) {
			(*count)++;
			error = replay_file(child);
		}
		free(names[i]);
	}
	free(names);
	return error;
}

int main(int argc, char **argv)
{
	unsigned count = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		if (replay(argv[i], &count) < 0)
			return 1;
	printf("%s: %u inputs replayed\n", argc > 0 ? argv[0] : "fuzz", count);
	if (count == 0) {
		fprintf(stderr, "no inputs: a corpus folder must hold at least one file\n");
		return 1;
	}
	return 0;
}
