/*
 * fuzz.h — what every fuzz target of tests/fuzz/ defines (libFuzzer's entry
 * points), and the check a target uses for a property that must hold.
 *
 * A target is tests/fuzz/<name>_fuzz.c with LLVMFuzzerTestOneInput; it may
 * define LLVMFuzzerInitialize too (driver.c and libFuzzer call it once).
 * Inputs are untrusted bytes: a target returns 0 for every input and calls
 * FUZZ_CHECK for the properties that must hold, so a broken property stops
 * the run like a crash and libFuzzer saves the input.
 */
#ifndef RUHU_FUZZ_H
#define RUHU_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#endif
