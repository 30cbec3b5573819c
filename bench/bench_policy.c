/* Policy decisions per second, and the time to re-plan every scheduled
 * advisory after `policy apply`.
 *
 *   bench_policy [--members N] [--advisories N]     (default 10000 x 100)
 *
 * Baselines measured in the same run: decisions under a tiers-only policy
 * (the cheapest decision) for the decision rate, and the bare decisions of
 * every (member, advisory, kind) -- what a planner without member classes
 * would have to make -- for the re-plan. Prints ratios; asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "crypto/crypto.h"
#include "policy/policy.h"
#include "release/release.h"
#include "store/store.h"

static const char *const tiers_only = "tier validate { grant all at T-14d }\n"
				      "tier ans { grant summary, detection, poc at T-5d }\n"
				      "tier entry { grant summary at T-1d }\n"
				      "public { grant summary, description, mitigation at T }\n";
static const char *const restricted =
	"max_embargo 30d\n"
	"set mandatory_reporting = [CN, RU]\n"
	"tier validate { grant all at T-14d }\n"
	"tier ans { grant summary, detection, poc at T-5d }\n"
	"tier entry { grant summary at T-1d }\n"
	"public { grant summary, description, mitigation at T }\n"
	"restrict mandatory-reporting when member.jurisdiction in mandatory_reporting { withhold poc; delay all until T }\n"
	"restrict probation when member.status == probation { cap tier entry }\n"
	"restrict sensitive when \"sensitive\" in advisory.tags { withhold poc }\n";

static void die(const char *what, enum fw_err r)
{
	fprintf(stderr, "bench_policy: %s: %s %s\n", what, fw_strerror(r), fw_err_detail());
	exit(1);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* How many member classes a policy makes of the members (docs/policy.md,
 * "Planning"): what a re-plan decides for, instead of every member. */
static size_t classes(const char *text, const struct fw_member *ms, size_t nm)
{
	struct fw_policy *p = NULL;
	struct fw_policy_classifier *cl = NULL;
	char(*keys)[FW_POLICY_CLASS_BYTES] = calloc(nm, sizeof *keys);
	char **sorted = calloc(nm, sizeof *sorted);
	size_t n = 0;
	if (!keys || !sorted || fw_policy_parse(text, strlen(text), &p, NULL) != FW_OK ||
	    fw_policy_classifier_new(p, &cl) != FW_OK)
		die("classes", FW_ERR_NOMEM);
	for (size_t i = 0; i < nm; i++) {
		fw_policy_classify(cl, &ms[i], keys[i]);
		sorted[i] = keys[i];
	}
	qsort(sorted, nm, sizeof *sorted, cmp_str);
	for (size_t i = 0; i < nm; i++)
		n += i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0;
	fw_policy_classifier_free(cl);
	fw_policy_free(p);
	free(sorted);
	free(keys);
	return n;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const tier_names[] = {"validate", "ans", "entry"};
static const char *const lands[] = {"US", "DE", "CN", "FR", "RU", "GB", "JP"};

static void make_member(struct fw_member *m, size_t i)
{
	memset(m, 0, sizeof *m);
	snprintf(m->id, sizeof m->id, "member-%06zu", i);
	snprintf(m->tier, sizeof m->tier, "%s", tier_names[i % 3]);
	memcpy(m->jurisdiction, lands[i % 7], 3);
	m->status = i % 11 == 0 ? FW_MEMBER_PROBATION : FW_MEMBER_ACTIVE;
}

static void make_advisory(struct fw_advisory *a, size_t i)
{
	memset(a, 0, sizeof *a);
	snprintf(a->id, sizeof a->id, "adv-%04zu", i);
	snprintf(a->title, sizeof a->title, "advisory %zu", i);
	a->public_at = 2000000000;
	a->status = FW_ADVISORY_SCHEDULED;
	a->cvss_score = 9.8;
	if (i % 10 == 0) {
		a->tags.n = 1;
		snprintf(a->tags.v[0], sizeof a->tags.v[0], "sensitive");
	}
}

/* Seconds to decide every (member, advisory, kind). */
static double decide_all(const char *text, const struct fw_member *ms, size_t nm, size_t na)
{
	struct fw_policy *p = NULL;
	struct fw_policy_decision d;
	enum fw_err r = fw_policy_parse(text, strlen(text), &p, NULL);
	if (r != FW_OK)
		die("parse", r);
	volatile size_t withheld = 0;
	double t0 = now_s();
	for (size_t a = 0; a < na; a++) {
		struct fw_advisory adv;
		make_advisory(&adv, a);
		for (size_t i = 0; i < nm; i++)
			for (int k = 0; k < FW_KIND_COUNT; k++) {
				fw_policy_decide(p, &ms[i], &adv, (enum fw_kind)k, &d);
				withheld += d.withheld;
			}
	}
	double dt = now_s() - t0;
	fw_policy_free(p);
	return dt;
}

/* Applies a tiers-only policy, the restricted one, then the restricted one
 * naming 100 members, to nm members and na scheduled advisories at url. */
static void replan(const char *url, struct fw_member *ms, size_t nm, size_t na, double full)
{
	struct fw_store *s;
	struct fw_release *rel;
	struct fw_sign_key sk;
	uint8_t master[32];
	enum fw_err r;
	fw_crypto_random(master, sizeof master);
	if ((r = fw_minisign_keygen(&sk)) != FW_OK || (r = fw_store_open(url, &s)) != FW_OK)
		die("open", r);
	for (size_t i = 0; i < nm; i++) {
		snprintf(ms[i].name, sizeof ms[i].name, "m");
		snprintf(ms[i].age_recipient, sizeof ms[i].age_recipient, "age1-not-used-by-planning");
		if ((r = fw_store_member_create(s, &ms[i])) != FW_OK)
			die("member", r);
	}
	for (size_t a = 0; a < na; a++) {
		struct fw_advisory adv;
		make_advisory(&adv, a);
		if ((r = fw_store_advisory_create(s, &adv)) != FW_OK)
			die("advisory", r);
	}
	struct fw_release_config rc = {.store = s, .sign_key = &sk, .master_key = master};
	if ((r = fw_release_new(&rc, &rel)) != FW_OK)
		die("release", r);
	struct fw_policy_version v = {.created_at = 1};
	double t0 = now_s();
	if ((r = fw_release_policy_apply(rel, tiers_only, strlen(tiers_only), &v, NULL)) != FW_OK)
		die("first apply", r);
	double first = now_s() - t0;
	t0 = now_s();
	if ((r = fw_release_policy_apply(rel, restricted, strlen(restricted), &v, NULL)) != FW_OK)
		die("apply", r);
	double again = now_s() - t0;
	/* The same with 100 members named by id: each is a class of its own. */
	char named[8192];
	size_t k = (size_t)snprintf(named, sizeof named, "%srestrict named when member.id in [", restricted);
	for (size_t i = 0; i < 100 && i < nm && k < sizeof named - 64; i++)
		k += (size_t)snprintf(named + k, sizeof named - k, "%smember-%06zu", i ? ", " : "", i * 97 % nm);
	snprintf(named + k, sizeof named - k, "] { withhold poc }\n");
	t0 = now_s();
	if ((r = fw_release_policy_apply(rel, named, strlen(named), &v, NULL)) != FW_OK)
		die("apply named", r);
	double again_named = now_s() - t0;
	printf("    policy apply, first plan:  %10.2f s (%zu member classes)\n", first, classes(tiers_only, ms, nm));
	printf("    policy apply, re-plan:     %10.2f s (%zu member classes; %.3fx the time of deciding every "
	       "member; aim: under 1 s)\n",
	       again, classes(restricted, ms, nm), again / full);
	printf("    ... naming 100 members:    %10.2f s (%zu member classes)\n", again_named, classes(named, ms, nm));
	/* What a scheduler wake costs once every release time has passed and
	 * every advisory has every kind of artifact, none delivered yet: the
	 * first batch of the millions of due copies, and next_wakeup. */
	for (size_t a = 0; a < na; a++)
		for (int kd = 0; kd < FW_KIND_COUNT; kd++) {
			struct fw_artifact art = {.kind = (enum fw_kind)kd, .size = 1, .created_at = 1};
			snprintf(art.advisory_id, sizeof art.advisory_id, "adv-%04zu", a);
			snprintf(art.media_type, sizeof art.media_type, "text/plain");
			if ((r = fw_store_artifact_add(s, &art, (const uint8_t *)"x", 1)) != FW_OK)
				die("artifact", r);
		}
	struct fw_due *due = NULL;
	size_t ndue = 0;
	int64_t next = 0;
	t0 = now_s();
	if ((r = fw_store_due_list(s, 2000000000 + 86400, FW_RELEASE_BATCH, &due, &ndue)) != FW_OK)
		die("due list", r);
	double due_s = now_s() - t0;
	free(due);
	t0 = now_s();
	if ((r = fw_store_next_wakeup(s, 2000000000 + 86400, &next)) != FW_OK)
		die("next wakeup", r);
	double next_s = now_s() - t0;
	printf("    a wake after T, every copy due: the first batch of %zu in %.2f s, next wakeup %.3f s\n", ndue,
	       due_s, next_s);
	fw_release_free(rel);
	fw_store_close(s);
}

int main(int argc, char **argv)
{
	size_t nm = 10000, na = 100;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--members") == 0)
			nm = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--advisories") == 0)
			na = strtoul(argv[i + 1], NULL, 10);
	}
	if (!nm || !na || fw_crypto_init() != FW_OK)
		return 2;
	fw_log_set_level(FW_LOG_WARN);
	struct fw_member *ms = calloc(nm, sizeof *ms);
	for (size_t i = 0; i < nm; i++)
		make_member(&ms[i], i);
	double n = (double)nm * (double)na * FW_KIND_COUNT;
	printf("policy: %zu members x %zu advisories x %d kinds = %.0f decisions\n", nm, na, FW_KIND_COUNT, n);
	double base = decide_all(tiers_only, ms, nm, na);
	double full = decide_all(restricted, ms, nm, na);
	printf("  tiers only (baseline):       %10.0f decisions/s\n", n / base);
	printf("  with sets and restrictions:  %10.0f decisions/s (%.2fx the baseline's time)\n", n / full,
	       full / base);

	/* The re-plan after `policy apply`, through the store: SQLite, and
	 * PostgreSQL when FW_TEST_PG_URL names a database (a schema of its own,
	 * dropped by nobody: the test cluster is thrown away). */
	char dir[] = "/tmp/fwbenchpol.XXXXXX", url[1200];
	if (!mkdtemp(dir))
		return 1;
	snprintf(url, sizeof url, "sqlite:%s/b.db", dir);
	printf("  sqlite:\n");
	replan(url, ms, nm, na, full);
	const char *pg = getenv("FW_TEST_PG_URL");
	if (pg && *pg) {
		snprintf(url, sizeof url, "%s%soptions=-csearch_path%%3Dbench_policy_%ld", pg, strchr(pg, '?') ? "&" : "?",
			 (long)getpid());
		printf("  postgresql:\n");
		replan(url, ms, nm, na, full);
	} else {
		printf("  postgresql: skipped (set FW_TEST_PG_URL)\n");
	}
	char path[128];
	static const char *const files[] = {"b.db", "b.db-wal", "b.db-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	free(ms);
	return 0;
}
