/* Release fan-out: one artifact to N members, through the real release path
 * (plan, store, render, age seal, minisign sign, store the copy), against a
 * floor measured in the same run: the bare libsodium operations the same
 * copies need (X25519 for the age stanza, ChaCha20-Poly1305 over the payload,
 * an Ed25519 signature of the BLAKE2b-512 prehash).
 *
 *   bench_release [--members N] [--size BYTES]
 *
 * Prints copies/s of both and their ratio; asserts nothing about time. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "release/release.h"
#include "store/store.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, enum fw_err r)
{
	fprintf(stderr, "bench_release: %s: %s %s\n", what, fw_strerror(r), fw_err_detail());
	exit(1);
}

/* The floor: what sealing and signing one copy costs in bare libsodium. */
static double floor_copies_per_s(size_t members, const uint8_t *plain, size_t size)
{
	uint8_t rpk[32], rsk[32], esk[32], epk[32], shared[32], key[32], nonce[12] = {0};
	uint8_t sign_pk[32], sign_sk[64], hash[64], sig[64];
	uint8_t *ct = malloc(size + 16 * (size / 65536 + 1));
	crypto_box_keypair(rpk, rsk);
	crypto_sign_keypair(sign_pk, sign_sk);
	double t0 = now_s();
	for (size_t i = 0; i < members; i++) {
		randombytes_buf(esk, sizeof esk);
		crypto_scalarmult_base(epk, esk);
		if (crypto_scalarmult(shared, esk, rpk) != 0)
			abort();
		randombytes_buf(key, sizeof key);
		size_t off = 0, out = 0;
		unsigned long long clen;
		do { /* age's STREAM: 64 KiB chunks */
			size_t n = size - off < 65536 ? size - off : 65536;
			nonce[11] = off + n == size;
			crypto_aead_chacha20poly1305_ietf_encrypt(ct + out, &clen, plain + off, n, NULL, 0, NULL, nonce, key);
			off += n;
			out += clen;
		} while (off < size);
		crypto_generichash(hash, sizeof hash, ct, out, NULL, 0);
		crypto_sign_detached(sig, NULL, hash, sizeof hash, sign_sk);
	}
	double dt = now_s() - t0;
	free(ct);
	return (double)members / dt;
}

static void setup(struct fw_store *s, size_t members)
{
	enum fw_err r;
	const char *policy = "tier everyone { grant all at T-1d }\n";
	struct fw_policy_version pv = {.created_at = 1};
	snprintf(pv.author, sizeof pv.author, "bench");
	if ((r = fw_store_policy_add(s, &pv, policy, strlen(policy))) != FW_OK)
		die("policy", r);
	for (size_t i = 0; i < members; i++) {
		struct fw_member m = {.status = FW_MEMBER_ACTIVE, .created_at = 1, .updated_at = 1};
		char ident[FW_CRYPTO_AGE_IDENTITY_BYTES];
		snprintf(m.id, sizeof m.id, "member-%06zu", i);
		snprintf(m.name, sizeof m.name, "Member %zu", i);
		snprintf(m.tier, sizeof m.tier, "everyone");
		memcpy(m.jurisdiction, "DE", 3);
		if ((r = fw_age_keygen(m.age_recipient, ident)) != FW_OK || (r = fw_store_member_create(s, &m)) != FW_OK)
			die("member", r);
	}
	struct fw_advisory a = {.status = FW_ADVISORY_SCHEDULED, .public_at = 2000000000, .created_at = 1};
	snprintf(a.id, sizeof a.id, "bench");
	snprintf(a.title, sizeof a.title, "benchmark advisory");
	if ((r = fw_store_advisory_create(s, &a)) != FW_OK)
		die("advisory", r);
}

static void add_artifact(struct fw_release *rel, const uint8_t *plain, size_t size)
{
	enum fw_err r;
	struct fw_artifact art = {.kind = FW_KIND_POC, .created_at = 1};
	snprintf(art.advisory_id, sizeof art.advisory_id, "bench");
	snprintf(art.media_type, sizeof art.media_type, "text/plain");
	if ((r = fw_release_artifact_add(rel, &art, plain, size)) != FW_OK)
		die("artifact", r);
}

int main(int argc, char **argv)
{
	size_t members = 1000, size = 64 * 1024;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--members") == 0)
			members = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--size") == 0)
			size = strtoul(argv[i + 1], NULL, 10);
	}
	if (members == 0 || size == 0 || fw_crypto_init() != FW_OK)
		return 2;
	fw_log_set_level(FW_LOG_WARN);
	char dir[] = "/tmp/fwbench.XXXXXX", url[64];
	if (!mkdtemp(dir))
		return 1;
	snprintf(url, sizeof url, "sqlite:%s/bench.db", dir);

	uint8_t *plain = malloc(size), master[32];
	fw_crypto_random(plain, size);
	fw_crypto_random(master, sizeof master);
	struct fw_sign_key sk;
	struct fw_store *s;
	struct fw_release *rel;
	enum fw_err r;
	if ((r = fw_minisign_keygen(&sk)) != FW_OK || (r = fw_store_open(url, &s)) != FW_OK)
		die("open", r);
	printf("release fan-out: %zu members, %zu-byte artifact\n", members, size);
	double t0 = now_s();
	setup(s, members);
	struct fw_release_config rc = {.store = s, .sign_key = &sk, .master_key = master};
	if ((r = fw_release_new(&rc, &rel)) != FW_OK)
		die("release", r);
	add_artifact(rel, plain, size);
	if ((r = fw_release_plan(rel, "bench", NULL, NULL)) != FW_OK)
		die("plan", r);
	printf("  set-up (members, plan): %.2f s\n", now_s() - t0);

	double floor = floor_copies_per_s(members, plain, size);
	size_t delivered = 0;
	t0 = now_s();
	if ((r = fw_release_run_due(rel, 2000000000 - 86400, &delivered)) != FW_OK)
		die("release", r);
	double dt = now_s() - t0;
	if (delivered != members) {
		fprintf(stderr, "bench_release: delivered %zu of %zu\n", delivered, members);
		return 1;
	}
	double rate = (double)members / dt;
	printf("  floor (bare libsodium):   %10.0f copies/s\n", floor);
	printf("  forewarn release path:    %10.0f copies/s (%.2f s)\n", rate, dt);
	printf("  ratio release/floor time: %.2fx (aim: <= 1.5x)\n", floor / rate);

	fw_release_free(rel);
	fw_store_close(s);
	free(plain);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "%s/bench.db", dir);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/bench.db-wal", dir);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/bench.db-shm", dir);
	unlink(cmd);
	rmdir(dir);
	return 0;
}
