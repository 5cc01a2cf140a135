/*
 * combinerd/journal.c -- journal of differences, serial state, state files.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "combinerd/journal.h"
#include "libhsync/error.h"

/* ---- state files ---------------------------------------------------------------- */

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return HS_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return HS_EOK;
}

int hs_state_write(const char *path, const void *data, size_t len)
{
	if (path == NULL || (data == NULL && len > 0)) {
		return HS_EINVAL;
	}
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 5);
	char *dir = strdup(path);
	if (tmp == NULL || dir == NULL) {
		free(tmp);
		free(dir);
		return HS_ENOMEM;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	int ret = HS_EIO;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ret = write_all(fd, data, len);
		if (ret == HS_EOK && fsync(fd) != 0) {
			ret = HS_EIO;
		}
		if (close(fd) != 0 && ret == HS_EOK) {
			ret = HS_EIO;
		}
		if (ret == HS_EOK && rename(tmp, path) != 0) {
			ret = HS_EIO;
		}
		if (ret != HS_EOK) {
			unlink(tmp);
		}
	}
	if (ret == HS_EOK) {
		int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) != 0) {
			ret = HS_EIO;
		}
		if (dfd >= 0) {
			close(dfd);
		}
	}
	free(tmp);
	free(dir);
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
