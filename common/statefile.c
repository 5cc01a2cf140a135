/*
 * common/statefile.c -- atomic state files (see statefile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/statefile.h"
#include "libhsync/error.h"

static int fail(const hs_state_opts_t *o, const char *step, const char *file, int err)
{
	if (o != NULL && o->why != NULL && o->whylen > 0) {
		snprintf(o->why, o->whylen, "%s %s: %s", step, file, strerror(err));
	}
	return HS_EIO;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			if (n == 0) {
				errno = EIO;
			}
			return HS_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return HS_EOK;
}

/* "PATH.tmp", or "DIR/.NAME.tmp" with HS_STATE_DOTTMP. New, malloc'd. */
static char *tmp_name(const char *path, bool dot)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 6);
	if (tmp == NULL) {
		return NULL;
	}
	if (!dot) {
		memcpy(tmp, path, plen);
		memcpy(tmp + plen, ".tmp", 5);
		return tmp;
	}
	const char *slash = strrchr(path, '/');
	size_t dlen = slash != NULL ? (size_t)(slash - path) + 1 : 0;
	memcpy(tmp, path, dlen);
	tmp[dlen] = '.';
	memcpy(tmp + dlen + 1, path + dlen, plen - dlen);
	memcpy(tmp + plen + 1, ".tmp", 5);
	return tmp;
}

static int sync_dir(int dirfd, const char *path, const hs_state_opts_t *o)
{
	char *copy = strdup(path);
	if (copy == NULL) {
		return HS_ENOMEM;
	}
	int ret = HS_EOK;
	int dfd = openat(dirfd, dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		ret = fail(o, "fsync directory of", path, errno);
	}
	if (dfd >= 0) {
		close(dfd);
	}
	free(copy);
	return ret;
}

int hs_state_writeat(int dirfd, const char *path, const void *data, size_t len,
                     const hs_state_opts_t *o)
{
	if (path == NULL || (data == NULL && len > 0)) {
		return HS_EINVAL;
	}
	unsigned flags = o != NULL ? o->flags : 0;
	mode_t mode = o != NULL && o->mode != 0 ? o->mode : 0600;
	char *tmp = tmp_name(path, (flags & HS_STATE_DOTTMP) != 0);
	if (tmp == NULL) {
		return HS_ENOMEM;
	}
	int ret = HS_EOK;
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		ret = fail(o, "open", tmp, errno);
		free(tmp);
		return ret;
	}
	if (write_all(fd, data, len) != HS_EOK) {
		ret = fail(o, "write", tmp, errno);
	}
	if (ret == HS_EOK && !(flags & HS_STATE_NOSYNC) && fsync(fd) != 0) {
		ret = fail(o, "fsync", tmp, errno);
	}
	if (close(fd) != 0 && ret == HS_EOK) {
		ret = fail(o, "close", tmp, errno);
	}
	if (ret == HS_EOK && renameat(dirfd, tmp, dirfd, path) != 0) {
		ret = fail(o, "rename", path, errno);
	}
	if (ret != HS_EOK) {
		unlinkat(dirfd, tmp, 0);
	} else if (!(flags & HS_STATE_NOSYNC)) {
		ret = sync_dir(dirfd, path, o);
	}
	free(tmp);
	return ret;
}

int hs_state_write(const char *path, const void *data, size_t len)
{
	return hs_state_writeat(AT_FDCWD, path, data, len, NULL);
}

int hs_state_write_json(const char *path, const json_t *j, size_t jflags,
                        const hs_state_opts_t *o)
{
	if (path == NULL || j == NULL) {
		return HS_EINVAL;
	}
	char *text = json_dumps(j, jflags);
	if (text == NULL) {
		return HS_ENOMEM;
	}
	size_t len = strlen(text);
	text[len] = '\n';   /* over the NUL: json_dumps allocated len + 1 */
	int ret = hs_state_writeat(AT_FDCWD, path, text, len + 1, o);
	free(text);
	return ret;
}

int hs_state_read(const char *path, uint8_t **data, size_t *len)
{
	if (path == NULL || data == NULL || len == NULL) {
		return HS_EINVAL;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return errno == ENOENT ? HS_ENOTFOUND : HS_EIO;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return HS_EIO;
	}
	size_t size = (size_t)st.st_size, got = 0;
	uint8_t *buf = malloc(size + 1);
	if (buf == NULL) {
		close(fd);
		return HS_ENOMEM;
	}
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (got != size) {
		free(buf);
		return HS_EIO;
	}
	buf[size] = 0;
	*data = buf;
	*len = size;
	return HS_EOK;
}
