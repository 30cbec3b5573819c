/* Benchmark of the transparency log on the SQLite store (synchronous=FULL,
 * WAL): durable appends per second with group commit, and the time to
 * build inclusion and consistency proofs from stored nodes at N entries
 * (default 1,000,000; bench_log N to change it).
 *
 * Appends count the whole path: sequencing in batches of BATCH entries per
 * transaction (one fsync each), then integration (frontier, subtree hashes,
 * one signed checkpoint per integration step). The baseline, measured in the
 * same run, is bare SHA-256 leaf hashing of the same entries: figures are
 * printed with their ratio to it. Nothing about time is asserted. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "tlog/tlog.h"

#define BATCH 4096
#define PROOFS 2000

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, enum fw_err r)
{
	fprintf(stderr, "bench_log: %s: %s %s\n", what, fw_strerror(r), fw_err_detail());
	exit(1);
}

static size_t entry_of(uint64_t i, char *buf, size_t n)
{
	int k = snprintf(buf, n,
			 "{\"commitment\":\"%016" PRIx64 "0000000000000000000000000000000000000000000000\","
			 "\"sealed_sha256\":\"%016" PRIx64 "000000000000000000000000000000000000000000000000\","
			 "\"time\":%" PRIu64 ",\"type\":\"delivery\",\"v\":1}",
			 i, i * 7, 1750000000 + i);
	return (size_t)k;
}

static struct fw_store_log_item items[BATCH];
static char bufs[BATCH][256];

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	char dir[] = "/tmp/fw-bench-log-XXXXXX", url[128], path[128];
	struct fw_store *s = NULL;
	struct fw_tlog_log *l = NULL;
	struct fw_sign_key key;
	enum fw_err r;
	uint8_t seed[32] = {1};
	if (n < 2 || fw_crypto_init() != FW_OK || !mkdtemp(dir))
		return 1;
	snprintf(url, sizeof url, "sqlite:%s/log.db", dir);
	if ((r = fw_store_open(url, &s)) != FW_OK)
		die("open", r);
	fw_crypto_ed25519_from_seed(seed, &key);
	struct fw_tlog_log_config cfg = {.store = s, .key = &key};
	if ((r = fw_tlog_log_open(&cfg, &l)) != FW_OK)
		die("log", r);

	/* Baseline: leaf-hash every entry, nothing else. */
	double t0 = now_s();
	uint8_t h[32], acc = 0;
	for (uint64_t i = 0; i < n; i++) {
		char e[256];
		fw_tlog_leaf_hash((const uint8_t *)e, entry_of(i, e, sizeof e), h);
		acc ^= h[0];
	}
	double base = now_s() - t0;

	/* Durable appends: sequencing in group-committed batches, then integration. */
	t0 = now_s();
	for (uint64_t i = 0; i < n;) {
		size_t k = n - i < BATCH ? (size_t)(n - i) : BATCH;
		uint64_t first = 0;
		for (size_t j = 0; j < k; j++) {
			items[j].entry = (const uint8_t *)bufs[j];
			items[j].n = entry_of(i + j, bufs[j], sizeof bufs[j]);
			fw_tlog_leaf_hash(items[j].entry, items[j].n, items[j].leaf_hash);
		}
		if ((r = fw_store_log_append_many(s, items, k, &first)) != FW_OK)
			die("append", r);
		i += k;
	}
	double seq = now_s() - t0;
	uint64_t size = 0;
	t0 = now_s();
	if ((r = fw_tlog_log_integrate(l, &size)) != FW_OK || size != n)
		die("integrate", r);
	double integ = now_s() - t0;

	/* Proofs from stored nodes at size n. */
	struct fw_tlog_proof p;
	srand48(42);
	t0 = now_s();
	for (int i = 0; i < PROOFS; i++)
		if ((r = fw_tlog_log_inclusion(l, (uint64_t)(drand48() * (double)n), n, &p)) != FW_OK)
			die("inclusion", r);
	double incl = (now_s() - t0) / PROOFS;
	t0 = now_s();
	for (int i = 0; i < PROOFS; i++)
		if ((r = fw_tlog_log_consistency(l, 1 + (uint64_t)(drand48() * (double)(n - 1)), n, &p)) != FW_OK)
			die("consistency", r);
	double cons = (now_s() - t0) / PROOFS;

	double per_leaf = base / (double)n;
	printf("bench_log: %" PRIu64 " entries, SQLite WAL synchronous=FULL, %d entries per transaction\n", n, BATCH);
	printf("  baseline  SHA-256 leaf hashing      %12.0f entries/s\n", (double)n / base);
	printf("  sequence  (durable, group commit)   %12.0f entries/s  (%.1fx the baseline's time)\n",
	       (double)n / seq, seq / base);
	printf("  integrate (tree, nodes, checkpoint) %12.0f entries/s  (%.1fx)\n", (double)n / integ, integ / base);
	printf("  appends end to end                  %12.0f entries/s  (%.1fx)\n", (double)n / (seq + integ),
	       (seq + integ) / base);
	printf("  inclusion proof at %" PRIu64 "            %10.1f us  (%.0fx one leaf hash)\n", n, incl * 1e6,
	       incl / per_leaf);
	printf("  consistency proof to %" PRIu64 "          %10.1f us  (%.0fx one leaf hash)\n", n, cons * 1e6,
	       cons / per_leaf);
	(void)acc;
	fw_tlog_log_free(l);
	fw_store_close(s);
	const char *sfx[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/log.db%s", dir, sfx[i]);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}
