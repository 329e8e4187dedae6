/*
 * passphrase.c — where the `ruhu` command gets passphrases from.
 *
 * Design notes
 *  1. The environment variable wins (scripts, tests, the main job); otherwise
 *     the terminal is asked with echo off.  Without either the command fails
 *     with a message naming the variable; it never reads a passphrase from a
 *     pipe on stdin, which may carry other input.
 *  2. The bytes are never printed or logged, and the buffers are zeroed when
 *     released (ruhu_buf_dispose_secure).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

static int prompt_tty(ruhu_buf *out, const char *prompt)
{
	struct termios old, quiet;
	int fd, rc = -1;
	char c;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return -1;
	if (tcgetattr(fd, &old) < 0)
		goto done;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &quiet) < 0)
		goto done;
	rc = 0;
	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n <= 0 || c == '\n' || c == '\r')
			break;
		if (ruhu_buf_putc(out, c) < 0) {
			rc = -1;
			break;
		}
	}
	c = 0;
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		rc = -1;
done:
	close(fd);
	return rc;
}

int cli_passphrase(ruhu_buf *out, const char *env, const char *prompt, int confirm)
{
	const char *v = getenv(env);
	ruhu_buf again = RUHU_BUF_INIT;
	int rc = 0;

	if (v != NULL) {
		if (ruhu_buf_puts(out, v) < 0)
			return ruhu_error_oom();
		if (out->size == 0)
			return ruhu_error_set(RUHU_EINVALID, "%s is set but empty", env);
		return 0;
	}
	if (prompt_tty(out, prompt) < 0)
		return ruhu_error_set(RUHU_EINVALID,
			"no passphrase: set %s or run on a terminal", env);
	if (out->size == 0)
		return ruhu_error_set(RUHU_EINVALID, "empty passphrase");
	if (confirm) {
		if (prompt_tty(&again, "repeat the passphrase: ") < 0)
			rc = ruhu_error_set(RUHU_EINVALID, "cannot read the passphrase again");
		else if (again.size != out->size || memcmp(again.ptr, out->ptr, out->size))
			rc = ruhu_error_set(RUHU_EINVALID, "the two passphrases differ");
		ruhu_buf_dispose_secure(&again);
	}
	return rc;
}
