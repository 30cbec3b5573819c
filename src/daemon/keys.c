#include "daemon/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

#define MASTER_FILE "master.key"
#define SIGN_FILE "program.key"
#define PUB_FILE "program.pub"
#define ADMIN_FILE "admin.token"

static enum fw_err path_in(const char *dir, const char *name, char out[1100])
{
	if (snprintf(out, 1100, "%s/%s", dir, name) >= 1100)
		return fw_err_set(FW_ERR_INVALID, "data directory path is too long");
	return FW_OK;
}

/* Writes a new file that must not exist yet, with the given mode. */
static enum fw_err write_new(const char *path, const void *data, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return fw_err_set(FW_ERR_IO, "cannot create %s: %s", path, strerror(errno));
	const char *p = data;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(path);
			return fw_err_set(FW_ERR_IO, "cannot write %s: %s", path, strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0)
		return fw_err_set(FW_ERR_IO, "cannot write %s: %s", path, strerror(errno));
	return FW_OK;
}

/* Reads a secret file after checking that only its owner can read it. */
static enum fw_err read_secret(const char *path, struct fw_buf *out)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fw_err_set(FW_ERR_IO, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fw_err_set(FW_ERR_IO, "%s is not a regular file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return fw_err_set(FW_ERR_STATE, "%s is readable by others (mode %03o): run chmod 600 %s", path,
				  (unsigned)(st.st_mode & 0777), path);
	}
	char chunk[4096];
	ssize_t n;
	enum fw_err r = FW_OK;
	while (r == FW_OK && (n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = fw_err_set(FW_ERR_IO, "cannot read %s: %s", path, strerror(errno));
		else if (fw_buf_append(out, chunk, (size_t)n) != FW_OK)
			r = fw_err_set(FW_ERR_TOO_LARGE, "%s is too large for a key file", path);
	}
	fw_crypto_wipe(chunk, sizeof chunk);
	close(fd);
	return r;
}

static enum fw_err create_keys(const char *dir)
{
	char path[1100], hex[2 * FW_CRYPTO_KEY_BYTES + 2];
	uint8_t master[FW_CRYPTO_KEY_BYTES];
	struct fw_sign_key sk;
	struct fw_verify_key vk;
	struct fw_buf b;
	enum fw_err r;

	fw_buf_init(&b, 4096);
	fw_crypto_random(master, sizeof master);
	fw_crypto_hex(master, sizeof master, hex);
	hex[2 * FW_CRYPTO_KEY_BYTES] = '\n';
	if ((r = path_in(dir, MASTER_FILE, path)) != FW_OK || (r = write_new(path, hex, sizeof hex - 1, 0600)) != FW_OK)
		goto out;
	if ((r = fw_minisign_keygen(&sk)) != FW_OK || (r = fw_minisign_secret_format(&sk, &b)) != FW_OK)
		goto out;
	if ((r = path_in(dir, SIGN_FILE, path)) != FW_OK || (r = write_new(path, b.data, b.len, 0600)) != FW_OK)
		goto out;
	fw_buf_cleanup_secret(&b);
	fw_minisign_verify_key(&sk, &vk);
	if ((r = fw_minisign_public_format(&vk, &b)) != FW_OK)
		goto out;
	if ((r = path_in(dir, PUB_FILE, path)) != FW_OK || (r = write_new(path, b.data, b.len, 0644)) != FW_OK)
		goto out;
out:
	fw_crypto_wipe(master, sizeof master);
	fw_crypto_wipe(hex, sizeof hex);
	fw_crypto_wipe(&sk, sizeof sk);
	fw_buf_cleanup_secret(&b);
	return r;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

enum fw_err fwd_keys_load(const char *dir, struct fwd_keys *k, bool *created)
{
	char path[1100];
	struct fw_buf b;
	struct stat st;
	enum fw_err r;

	*created = false;
	if (mkdir(dir, 0700) == 0)
		*created = true;
	else if (errno != EEXIST)
		return fw_err_set(FW_ERR_IO, "cannot create data directory %s: %s", dir, strerror(errno));
	if ((r = path_in(dir, MASTER_FILE, path)) != FW_OK)
		return r;
	if (stat(path, &st) != 0) {
		if ((r = create_keys(dir)) != FW_OK)
			return r;
		*created = true;
	}
	fw_buf_init(&b, 4096);
	if ((r = read_secret(path, &b)) != FW_OK)
		goto out;
	if (b.len < 2 * FW_CRYPTO_KEY_BYTES) {
		r = fw_err_set(FW_ERR_INVALID, "%s does not hold a 256-bit hex key", path);
		goto out;
	}
	for (size_t i = 0; i < FW_CRYPTO_KEY_BYTES; i++) {
		int h = unhex((char)b.data[2 * i]), l = unhex((char)b.data[2 * i + 1]);
		if (h < 0 || l < 0) {
			r = fw_err_set(FW_ERR_INVALID, "%s does not hold a 256-bit hex key", path);
			goto out;
		}
		k->master[i] = (uint8_t)(h * 16 + l);
	}
	/* Domain separation: the token-hash key is a keyed hash of a fixed label
	 * under the master key, so neither key reveals the other's use. */
	fw_crypto_token_hash(k->master, "forewarn token-hash key v1", k->token);
	fw_buf_cleanup_secret(&b);
	fw_buf_init(&b, 4096);
	if ((r = path_in(dir, SIGN_FILE, path)) != FW_OK || (r = read_secret(path, &b)) != FW_OK)
		goto out;
	if ((r = fw_minisign_secret_parse(fw_buf_str(&b), b.len, &k->sign)) != FW_OK) {
		r = fw_err_set(r, "%s is not an unencrypted minisign secret key", path);
		goto out;
	}
	if ((r = path_in(dir, ADMIN_FILE, path)) == FW_OK && stat(path, &st) == 0 && (st.st_mode & 077))
		r = fw_err_set(FW_ERR_STATE, "%s is readable by others: run chmod 600 %s", path, path);
out:
	fw_buf_cleanup_secret(&b);
	return r;
}

enum fw_err fwd_keys_admin_token(const char *dir, struct fw_store *s, const struct fwd_keys *k)
{
	char path[1100], secret[FW_CRYPTO_TOKEN_BYTES + 1];
	uint8_t hash[FW_CRYPTO_HASH_BYTES], rnd[8];
	struct fw_token t;
	enum fw_err r;

	if ((r = path_in(dir, ADMIN_FILE, path)) != FW_OK)
		return r;
	memset(&t, 0, sizeof t);
	t.role = FW_ROLE_ADMIN;
	t.created_at = fw_clock_now();
	snprintf(t.label, sizeof t.label, "first admin token (%s)", ADMIN_FILE);
	fw_crypto_random(rnd, sizeof rnd);
	memcpy(t.id, "tok_", 4);
	fw_crypto_hex(rnd, sizeof rnd, t.id + 4);
	fw_crypto_token_new(secret);
	fw_crypto_token_hash(k->token, secret, hash);
	size_t n = strlen(secret);
	secret[n] = '\n';
	if ((r = write_new(path, secret, n + 1, 0600)) != FW_OK)
		goto out;
	if ((r = fw_store_token_create(s, &t, hash)) != FW_OK) {
		unlink(path);
		goto out;
	}
	fw_log_info("daemon", "admin token %s written to %s", t.id, path);
out:
	fw_crypto_wipe(secret, sizeof secret);
	return r;
}

void fwd_keys_wipe(struct fwd_keys *k) { fw_crypto_wipe(k, sizeof *k); }
