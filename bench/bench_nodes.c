/* Release fan-out on several nodes (issue 6): the same workload (one
 * artifact to N members, through the real release path with the
 * transparency log, as forewarnd runs it) on SQLite, on PostgreSQL with one
 * node, and on PostgreSQL with two nodes (two stores, so two node ids, and
 * two schedulers claiming work in parallel, in one process). Prints copies/s
 * and the ratios to the SQLite run.
 *
 *   bench_nodes [--members N] [--size BYTES] [--pg URL]   (default URL: FW_TEST_PG_URL)
 *
 * Each PostgreSQL run uses a schema of its own, dropped by nobody: the test
 * cluster is thrown away. Asserts nothing about time. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "crypto/crypto.h"
#include "release/release.h"
#include "store/store.h"
#include "tlog/tlog.h"

#define NOW 2000000000 /* the advisory's T; the release is due a day before */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, enum fw_err r)
{
	fprintf(stderr, "bench_nodes: %s: %s %s\n", what, fw_strerror(r), fw_err_detail());
	exit(1);
}

struct node {
	struct fw_store *store;
	struct fw_release *rel;
	struct fw_tlog_log *log;
	size_t delivered;
	enum fw_err r;
	pthread_t thread;
};

static void node_open(struct node *n, const char *url, const struct fw_sign_key *sk, const uint8_t *master)
{
	enum fw_err r;
	memset(n, 0, sizeof *n);
	if ((r = fw_store_open(url, &n->store)) != FW_OK)
		die("open", r);
	struct fw_release_config rc = {.store = n->store, .sign_key = sk, .master_key = master};
	struct fw_tlog_log_config lc = {.store = n->store, .key = sk};
	if ((r = fw_release_new(&rc, &n->rel)) != FW_OK || (r = fw_tlog_log_open(&lc, &n->log)) != FW_OK ||
	    (r = fw_tlog_log_start(n->log)) != FW_OK)
		die("node", r);
	fw_release_set_log(n->rel, n->log);
}

static void node_close(struct node *n)
{
	fw_release_free(n->rel);
	fw_tlog_log_free(n->log);
	fw_store_close(n->store);
}

/* Members, policy, advisory, artifact and plan, through the first node. */
static void setup(struct node *n, size_t members, const uint8_t *plain, size_t size)
{
	enum fw_err r;
	const char *policy = "tier everyone { grant all at T-1d }\n";
	struct fw_policy_version pv = {.created_at = 1};
	snprintf(pv.author, sizeof pv.author, "bench");
	if ((r = fw_store_policy_add(n->store, &pv, policy, strlen(policy))) != FW_OK)
		die("policy", r);
	for (size_t i = 0; i < members; i++) {
		struct fw_member m = {.status = FW_MEMBER_ACTIVE, .created_at = 1, .updated_at = 1};
		char ident[FW_CRYPTO_AGE_IDENTITY_BYTES];
		snprintf(m.id, sizeof m.id, "member-%06zu", i);
		snprintf(m.name, sizeof m.name, "Member %zu", i);
		snprintf(m.tier, sizeof m.tier, "everyone");
		memcpy(m.jurisdiction, "DE", 3);
		if ((r = fw_age_keygen(m.age_recipient, ident)) != FW_OK ||
		    (r = fw_store_member_create(n->store, &m)) != FW_OK)
			die("member", r);
	}
	struct fw_advisory a = {.status = FW_ADVISORY_SCHEDULED, .public_at = NOW, .created_at = 1};
	snprintf(a.id, sizeof a.id, "bench");
	snprintf(a.title, sizeof a.title, "benchmark advisory");
	if ((r = fw_store_advisory_create(n->store, &a)) != FW_OK)
		die("advisory", r);
	struct fw_artifact art = {.kind = FW_KIND_SUMMARY, .created_at = 1};
	snprintf(art.advisory_id, sizeof art.advisory_id, "bench");
	snprintf(art.media_type, sizeof art.media_type, "text/plain");
	if ((r = fw_release_artifact_add(n->rel, &art, plain, size)) != FW_OK ||
	    (r = fw_release_plan(n->rel, "bench", NULL, NULL)) != FW_OK)
		die("artifact", r);
}

static void *node_run(void *arg)
{
	struct node *n = arg;
	n->r = fw_release_run_due(n->rel, NOW - 86400, &n->delivered);
	return NULL;
}

/* One run: copies/s of the release on nnodes nodes of url. */
static double run(const char *url, size_t nnodes, size_t members, const uint8_t *plain, size_t size)
{
	struct fw_sign_key sk;
	uint8_t master[32];
	struct node nodes[2];
	enum fw_err r;
	fw_crypto_random(master, sizeof master);
	if ((r = fw_minisign_keygen(&sk)) != FW_OK)
		die("key", r);
	for (size_t i = 0; i < nnodes; i++)
		node_open(&nodes[i], url, &sk, master);
	setup(&nodes[0], members, plain, size);
	double t0 = now_s();
	for (size_t i = 0; i < nnodes; i++)
		if (pthread_create(&nodes[i].thread, NULL, node_run, &nodes[i]) != 0)
			die("thread", FW_ERR_INTERNAL);
	size_t total = 0;
	for (size_t i = 0; i < nnodes; i++) {
		pthread_join(nodes[i].thread, NULL);
		if (nodes[i].r != FW_OK)
			die("release", nodes[i].r);
		total += nodes[i].delivered;
	}
	double dt = now_s() - t0;
	if (total != members) {
		fprintf(stderr, "bench_nodes: delivered %zu of %zu\n", total, members);
		exit(1);
	}
	printf(" %8.0f copies/s (%.2f s", (double)members / dt, dt);
	for (size_t i = 0; i < nnodes && nnodes > 1; i++)
		printf("%s node %zu: %zu", i ? "," : ";", i + 1, nodes[i].delivered);
	printf(")\n");
	for (size_t i = 0; i < nnodes; i++)
		node_close(&nodes[i]);
	return (double)members / dt;
}

int main(int argc, char **argv)
{
	size_t members = 2000, size = 4096;
	const char *pg = getenv("FW_TEST_PG_URL");
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--members") == 0)
			members = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--size") == 0)
			size = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--pg") == 0)
			pg = argv[i + 1];
	}
	if (members == 0 || size == 0 || fw_crypto_init() != FW_OK)
		return 2;
	if (!pg || !*pg) {
		printf("release fan-out on several nodes: skipped (set FW_TEST_PG_URL, e.g. from "
		       "scripts/pg-test-cluster.sh start)\n");
		return 0;
	}
	fw_log_set_level(FW_LOG_ERROR);
	uint8_t *plain = malloc(size);
	if (!plain)
		return 1;
	fw_crypto_random(plain, size);
	printf("release fan-out on several nodes: %zu members, %zu-byte artifact, with the log\n", members, size);

	char dir[] = "/tmp/fwbench.XXXXXX", url[1200];
	if (!mkdtemp(dir))
		return 1;
	snprintf(url, sizeof url, "sqlite:%s/bench.db", dir);
	printf("  sqlite, one node:      ");
	double base = run(url, 1, members, plain, size);
	const char *sep = strchr(pg, '?') ? "&" : "?";
	snprintf(url, sizeof url, "%s%soptions=-csearch_path%%3Dbench_nodes_%ld_1", pg, sep, (long)getpid());
	printf("  postgresql, one node:  ");
	double one = run(url, 1, members, plain, size);
	snprintf(url, sizeof url, "%s%soptions=-csearch_path%%3Dbench_nodes_%ld_2", pg, sep, (long)getpid());
	printf("  postgresql, two nodes:");
	double two = run(url, 2, members, plain, size);
	printf("  ratio to sqlite (copies/s): postgresql one node %.2fx, two nodes %.2fx\n", one / base,
	       two / base);

	free(plain);
	const char *files[] = {"bench.db", "bench.db-wal", "bench.db-shm"};
	for (size_t i = 0; i < 3; i++) {
		char path[64];
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}
