/* Local files: bounded reads, atomic writes, private directories. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "crypto/crypto.h"

enum fw_err fw_cli_file_read(const char *path, size_t max, struct fw_buf *out)
{
	enum fw_err r = FW_OK;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fw_err_set(FW_ERR_IO, "cannot read %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = fw_err_set(FW_ERR_IO, "cannot read %s: not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > max) {
		r = fw_err_set(FW_ERR_TOO_LARGE, "%s is too large (%lld bytes; at most %zu)", path,
			       (long long)st.st_size, max);
		goto out;
	}
	size_t start = out->len;
	for (;;) {
		unsigned char chunk[16384];
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = fw_err_set(FW_ERR_IO, "cannot read %s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (out->len - start + (size_t)n > max) {
			r = fw_err_set(FW_ERR_TOO_LARGE, "%s is too large (at most %zu bytes)", path, max);
			break;
		}
		if ((r = fw_buf_append(out, chunk, (size_t)n)) != FW_OK)
			break;
	}
out:
	close(fd);
	return r;
}

static enum fw_err write_all(int fd, const void *data, size_t n, const char *path)
{
	const unsigned char *p = data;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return fw_err_set(FW_ERR_IO, "cannot write %s: %s", path, strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return FW_OK;
}

enum fw_err fw_cli_file_write_atomic(const char *path, const void *data, size_t n, mode_t mode)
{
	char tmp[4096];
	uint8_t rnd[8];
	char hex[17];
	enum fw_err r;

	fw_crypto_random(rnd, sizeof rnd);
	fw_crypto_hex(rnd, sizeof rnd, hex);
	if (snprintf(tmp, sizeof tmp, "%s.tmp-%s", path, hex) >= (int)sizeof tmp)
		return fw_err_set(FW_ERR_INVALID, "path too long: %s", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return fw_err_set(FW_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
	if ((r = write_all(fd, data, n, tmp)) != FW_OK)
		goto fail;
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		r = fw_err_set(FW_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = fw_err_set(FW_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		r = fw_err_set(FW_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto fail;
	}
	return FW_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}

enum fw_err fw_cli_dir_ensure(const char *path, mode_t mode, bool follow)
{
	struct stat st;
	if (mkdir(path, mode) == 0)
		return FW_OK;
	if (errno != EEXIST)
		return fw_err_set(FW_ERR_IO, "cannot create directory %s: %s", path, strerror(errno));
	if ((follow ? stat(path, &st) : lstat(path, &st)) != 0)
		return fw_err_set(FW_ERR_IO, "cannot use directory %s: %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return fw_err_set(FW_ERR_IO, "refusing to use %s: it is a symbolic link", path);
	if (!S_ISDIR(st.st_mode))
		return fw_err_set(FW_ERR_IO, "cannot use %s: not a directory", path);
	return FW_OK;
}
