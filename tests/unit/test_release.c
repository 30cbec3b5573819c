/* Unit tests of src/release: planning from the policy, and the release
 * step — right copies at the right time, exactly once, sealed so the
 * member's key opens them and signed so the program's key verifies them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "release/release.h"
#include "store/store.h"

#define T 1751994000 /* 2025-07-08T17:00:00Z */
#define DAY 86400

static const char *policy = "tier a { grant summary, poc at T-5d }\n"
			    "tier b { grant summary at T-1d }\n"
			    "public { grant description at T }\n";

/* A new database per test: SQLite, or a schema of the PostgreSQL database
 * FW_TEST_DB names (the pg/ run of ctest sets it). Planning covers every
 * member and the policy is global, so these tests cannot share one. */
static const char *test_db_pg(void)
{
	const char *env = getenv("FW_TEST_DB");
	return fw_test_is_pg_url(env) ? env : NULL;
}

struct ctx {
	struct fw_test_db db;
	struct fw_store *s;
	struct fw_release *rel;
	struct fw_sign_key sk;
	uint8_t master[32];
	uint8_t id_sk[4][32]; /* members' age identities */
};

static void member(struct ctx *c, int i, const char *id, const char *tier, enum fw_member_status st, bool bad_key)
{
	struct fw_member m = {.status = st, .created_at = 1, .updated_at = 1};
	char ident[FW_CRYPTO_AGE_IDENTITY_BYTES];
	snprintf(m.id, sizeof m.id, "%s", id);
	snprintf(m.name, sizeof m.name, "%s", id);
	snprintf(m.tier, sizeof m.tier, "%s", tier);
	memcpy(m.jurisdiction, "DE", 3);
	assert_int_equal(fw_age_keygen(m.age_recipient, ident), FW_OK);
	assert_int_equal(fw_age_identity_parse(ident, strlen(ident), c->id_sk[i]), FW_OK);
	if (bad_key) /* a recipient the store took but that cannot be sealed to */
		snprintf(m.age_recipient, sizeof m.age_recipient, "age1broken");
	assert_int_equal(fw_store_member_create(c->s, &m), FW_OK);
}

static void artifact(struct ctx *c, enum fw_kind kind, const char *text)
{
	struct fw_artifact a = {.kind = kind, .created_at = 1};
	snprintf(a.advisory_id, sizeof a.advisory_id, "adv");
	snprintf(a.media_type, sizeof a.media_type, "text/plain");
	assert_int_equal(fw_release_artifact_add(c->rel, &a, (const uint8_t *)text, strlen(text)), FW_OK);
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof *c);
	assert_int_equal(fw_crypto_init(), FW_OK);
	fw_log_set_level(FW_LOG_ERROR);
	assert_true(fw_test_db_new(&c->db, test_db_pg(), "fwt_rel"));
	assert_int_equal(fw_store_open(c->db.url, &c->s), FW_OK);
	assert_int_equal(fw_minisign_keygen(&c->sk), FW_OK);
	fw_crypto_random(c->master, sizeof c->master);
	struct fw_release_config rc = {.store = c->s, .sign_key = &c->sk, .master_key = c->master};
	assert_int_equal(fw_release_new(&rc, &c->rel), FW_OK);
	struct fw_policy_version pv = {.created_at = 1};
	assert_int_equal(fw_store_policy_add(c->s, &pv, policy, strlen(policy)), FW_OK);

	member(c, 0, "m1", "a", FW_MEMBER_ACTIVE, false);
	member(c, 1, "m2", "b", FW_MEMBER_PROBATION, false);
	member(c, 2, "m3", "a", FW_MEMBER_SUSPENDED, false);
	member(c, 3, "m4", "a", FW_MEMBER_ACTIVE, true);
	struct fw_advisory a = {.status = FW_ADVISORY_SCHEDULED, .public_at = T, .created_at = 1};
	snprintf(a.id, sizeof a.id, "adv");
	snprintf(a.title, sizeof a.title, "an advisory");
	assert_int_equal(fw_store_advisory_create(c->s, &a), FW_OK);
	artifact(c, FW_KIND_SUMMARY, "the summary");
	artifact(c, FW_KIND_POC, "the proof of concept");
	artifact(c, FW_KIND_DESCRIPTION, "the description");
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	fw_release_free(c->rel);
	fw_store_close(c->s);
	fw_test_db_remove(&c->db);
	free(c);
	return 0;
}

static size_t count(struct ctx *c, const char *member)
{
	struct fw_delivery_filter f = {.member_id = member};
	struct fw_delivery *d = NULL;
	size_t n = 0;
	assert_int_equal(fw_store_delivery_list(c->s, &f, &d, &n), FW_OK);
	free(d);
	return n;
}

static size_t run(struct ctx *c, int64_t now)
{
	size_t n = 99;
	assert_int_equal(fw_release_run_due(c->rel, now, &n), FW_OK);
	return n;
}

static void test_plan(void **state)
{
	struct ctx *c = *state;
	size_t planned = 0, withheld = 0;
	assert_int_equal(fw_release_plan(c->rel, "adv", &planned, &withheld), FW_OK);
	/* 4 members x 6 kinds; m1, m4: summary, poc, description; m2: summary,
	 * description; m3 suspended: nothing */
	assert_int_equal(planned, 8);
	assert_int_equal(withheld, 16);
	struct fw_plan_entry *p = NULL;
	size_t n = 0;
	assert_int_equal(fw_store_plan_list(c->s, "adv", "m1", &p, &n), FW_OK);
	bool saw_poc = false;
	for (size_t i = 0; i < n; i++)
		if (p[i].kind == FW_KIND_POC) {
			saw_poc = true;
			assert_false(p[i].withheld);
			assert_int_equal(p[i].release_at, T - 5 * DAY);
			assert_non_null(strstr(p[i].reason, "tier a grants poc at T-5d"));
		}
	assert_true(saw_poc);
	free(p);
}

static void test_release_times_and_exactly_once(void **state)
{
	struct ctx *c = *state;
	assert_int_equal(fw_release_plan(c->rel, "adv", NULL, NULL), FW_OK);
	assert_int_equal(run(c, T - 5 * DAY - 1), 0);
	/* m4's key is broken: m1 still gets its two copies */
	assert_int_equal(run(c, T - 5 * DAY), 2);
	assert_int_equal(count(c, "m1"), 2);
	assert_int_equal(count(c, "m4"), 0);
	assert_int_equal(run(c, T - 5 * DAY), 0); /* a second run adds nothing */
	assert_int_equal(run(c, T - DAY), 1);    /* m2's summary */
	assert_int_equal(count(c, "m2"), 1);
	assert_int_equal(run(c, T), 2); /* descriptions for m1 and m2 */
	assert_int_equal(count(c, "m3"), 0); /* suspended: nothing, ever */
	struct fw_advisory a;
	assert_int_equal(fw_store_advisory_get(c->s, "adv", &a), FW_OK);
	assert_int_equal(a.status, FW_ADVISORY_PUBLIC);

	/* a new version reaches those entitled to the kind, once */
	artifact(c, FW_KIND_POC, "the proof of concept, v2");
	assert_int_equal(run(c, T + DAY), 1);
	assert_int_equal(count(c, "m1"), 4);
	assert_int_equal(count(c, "m2"), 2);
}

static void test_copies_open_and_verify(void **state)
{
	struct ctx *c = *state;
	assert_int_equal(fw_release_plan(c->rel, "adv", NULL, NULL), FW_OK);
	assert_int_equal(run(c, T), 5);
	struct fw_delivery_filter f = {.member_id = "m1"};
	struct fw_delivery *d = NULL;
	size_t n = 0;
	struct fw_verify_key vk;
	fw_minisign_verify_key(&c->sk, &vk);
	assert_int_equal(fw_store_delivery_list(c->s, &f, &d, &n), FW_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		struct fw_buf sealed, sig, plain, other;
		char tc[512], want[FW_RELEASE_COMMENT_BYTES];
		fw_buf_init(&sealed, 1 << 20);
		fw_buf_init(&sig, 4096);
		fw_buf_init(&plain, 1 << 20);
		fw_buf_init(&other, 1 << 20);
		assert_int_equal(fw_store_delivery_content(c->s, d[i].id, &sealed, &sig), FW_OK);
		assert_int_equal(fw_minisign_verify(&vk, sealed.data, sealed.len, fw_buf_str(&sig), sig.len, tc,
						    sizeof tc), FW_OK);
		fw_release_trusted_comment(&d[i], want);
		assert_string_equal(tc, want);
		assert_int_equal(fw_age_open(c->id_sk[0], sealed.data, sealed.len, &plain), FW_OK);
		uint8_t h[32];
		fw_crypto_sha256(plain.data, plain.len, h);
		assert_memory_equal(h, d[i].sha256_plain, 32);
		fw_crypto_sha256(sealed.data, sealed.len, h);
		assert_memory_equal(h, d[i].sha256_sealed, 32);
		/* m2's key does not open m1's copy */
		assert_int_not_equal(fw_age_open(c->id_sk[1], sealed.data, sealed.len, &other), FW_OK);
		fw_buf_cleanup(&sealed);
		fw_buf_cleanup(&sig);
		fw_buf_cleanup(&plain);
		fw_buf_cleanup(&other);
	}
	free(d);
}

struct racer {
	struct ctx *c;
	size_t delivered;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct fw_release *rel;
	struct fw_release_config rc = {.store = r->c->s, .sign_key = &r->c->sk, .master_key = r->c->master};
	if (fw_release_new(&rc, &rel) != FW_OK)
		return NULL;
	while (fw_release_run_due(rel, T, &r->delivered) == FW_ERR_BUSY)
		;
	fw_release_free(rel);
	return NULL;
}

static void test_two_runners_deliver_once(void **state)
{
	struct ctx *c = *state;
	assert_int_equal(fw_release_plan(c->rel, "adv", NULL, NULL), FW_OK);
	struct racer r[3] = {{c, 0}, {c, 0}, {c, 0}};
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r[0].delivered + r[1].delivered + r[2].delivered, 5);
	assert_int_equal(count(c, NULL), 5);
}

static void test_member_joins_late(void **state)
{
	struct ctx *c = *state;
	assert_int_equal(fw_release_plan(c->rel, "adv", NULL, NULL), FW_OK);
	assert_int_equal(run(c, T - 5 * DAY), 2);
	/* a member who joins after scheduling is planned alone; nobody else's
	 * plan is rewritten */
	member(c, 1, "m5", "b", FW_MEMBER_ACTIVE, false);
	assert_int_equal(fw_release_plan_member(c->rel, "m5"), FW_OK);
	struct fw_plan_entry *p = NULL;
	size_t n = 0;
	assert_int_equal(fw_store_plan_list(c->s, "adv", NULL, &p, &n), FW_OK);
	assert_int_equal(n, 5 * 6);
	free(p);
	assert_int_equal(run(c, T - DAY), 2); /* m2's and m5's summaries */
	assert_int_equal(count(c, "m5"), 1);
	/* a tier change takes effect for what is still to come */
	struct fw_member m;
	assert_int_equal(fw_store_member_get(c->s, "m5", &m), FW_OK);
	snprintf(m.tier, sizeof m.tier, "a");
	assert_int_equal(fw_store_member_update(c->s, &m), FW_OK);
	assert_int_equal(fw_release_plan_member(c->rel, "m5"), FW_OK);
	assert_int_equal(run(c, T - DAY), 1); /* tier a's poc, already due */
	assert_int_equal(count(c, "m5"), 2);
}

static void test_stored_policy_stops_older_plan_at_once(void **state)
{
	struct ctx *c = *state;
	assert_int_equal(fw_release_plan(c->rel, "adv", NULL, NULL), FW_OK);
	/* A new policy version is stored but the re-plan has not run (a crash,
	 * or the moment in between): nothing of the older plan is released. */
	const char *stricter = "tier a { grant summary at T-1d }\n";
	struct fw_policy_version pv = {.created_at = 2};
	assert_int_equal(fw_store_policy_add(c->s, &pv, stricter, strlen(stricter)), FW_OK);
	assert_int_equal(run(c, T - 5 * DAY), 0);
	int64_t next = 1;
	assert_int_equal(fw_store_next_wakeup(c->s, T - 5 * DAY, &next), FW_OK);
	assert_int_equal(next, T); /* only the advisory's publication is ahead */
	/* The re-plan at start sees the stale plan and brings the new decisions. */
	assert_int_equal(fw_release_replan_stale(c->rel), FW_OK);
	assert_int_equal(run(c, T - 5 * DAY), 0);
	assert_int_equal(run(c, T - DAY), 1); /* m1's summary under the new policy */
	assert_int_equal(count(c, "m1"), 1);
}

/* A decision counts for the advisory as it was decided: a change of the
 * advisory (here its tags, which a restriction may read) stops the old
 * decisions at once, until the re-plan that follows the change. */
static void test_advisory_change_stops_older_decisions(void **state)
{
	struct ctx *c = *state;
	assert_int_equal(fw_release_plan(c->rel, "adv", NULL, NULL), FW_OK);
	struct fw_advisory a;
	assert_int_equal(fw_store_advisory_get(c->s, "adv", &a), FW_OK);
	snprintf(a.tags.v[a.tags.n++], sizeof a.tags.v[0], "sensitive");
	assert_int_equal(fw_store_advisory_update(c->s, &a, NULL), FW_OK);
	bool current = true;
	assert_int_equal(fw_store_plan_current(c->s, &current), FW_OK);
	assert_false(current);
	assert_int_equal(run(c, T - 5 * DAY), 0);
	assert_int_equal(fw_release_plan(c->rel, "adv", NULL, NULL), FW_OK);
	assert_int_equal(run(c, T - 5 * DAY), 2); /* m1's summary and poc, as planned */
}

static enum fw_err failing_entry(void *ctx, struct fw_buf *entry, uint8_t leaf_hash[32])
{
	(void)entry;
	(void)leaf_hash;
	*(int *)ctx += 1;
	return fw_err_set(FW_ERR_IO, "the log is unwritable");
}

static enum fw_err policy_entry(void *ctx, struct fw_buf *entry, uint8_t leaf_hash[32])
{
	const struct fw_policy_version *v = ctx;
	enum fw_err r = fw_buf_printf(entry, "policy %d", v->version);
	memset(leaf_hash, 0x5a, 32);
	return r;
}

/* policy apply is one transaction: the version, its plan and its log entry
 * are stored together or not at all. */
static void test_policy_apply_is_one_transaction(void **state)
{
	struct ctx *c = *state;
	assert_int_equal(fw_release_plan(c->rel, "adv", NULL, NULL), FW_OK);
	struct fw_policy_version before, after;
	assert_int_equal(fw_store_policy_get(c->s, 0, &before, NULL), FW_OK);
	struct fw_store_log_state ls0, ls1;
	assert_int_equal(fw_store_log_state(c->s, &ls0), FW_OK);

	/* The entry cannot be written: nothing is stored, the old plan stays. */
	const char *stricter = "tier a { grant summary at T-1d }\n";
	int calls = 0;
	struct fw_policy_version v = {.created_at = 3};
	struct fw_store_log_hook fail = {.make = failing_entry, .ctx = &calls};
	assert_int_equal(fw_release_policy_apply(c->rel, stricter, strlen(stricter), &v, &fail), FW_ERR_IO);
	assert_int_equal(calls, 1);
	assert_false(fail.written);
	assert_int_equal(fw_store_policy_get(c->s, 0, &after, NULL), FW_OK);
	assert_int_equal(after.version, before.version);
	assert_int_equal(run(c, T - 5 * DAY), 2); /* the old plan's T-5d releases */

	/* Written: the version, its plan and its entry, at once. */
	struct fw_store_log_hook ok = {.make = policy_entry, .ctx = &v};
	assert_int_equal(fw_release_policy_apply(c->rel, stricter, strlen(stricter), &v, &ok), FW_OK);
	assert_true(ok.written);
	assert_int_equal(v.version, before.version + 1);
	assert_int_equal(fw_store_log_state(c->s, &ls1), FW_OK);
	assert_true(ls1.sequenced == ls0.sequenced + 1);
	assert_true(ok.index == ls0.sequenced);
	bool current = false;
	assert_int_equal(fw_store_plan_current(c->s, &current), FW_OK);
	assert_true(current);
	struct fw_plan_entry *p = NULL;
	size_t n = 0;
	assert_int_equal(fw_store_plan_list(c->s, "adv", "m1", &p, &n), FW_OK);
	assert_int_equal(n, FW_KIND_COUNT);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(p[i].policy_version, v.version);
		assert_int_equal(p[i].withheld, p[i].kind != FW_KIND_SUMMARY);
	}
	free(p);
	assert_int_equal(run(c, T), 0); /* m1's summary came under the old plan; no poc now */
}

static void test_no_policy_refuses_plan(void **state)
{
	(void)state;
	struct ctx c2;
	memset(&c2, 0, sizeof c2);
	assert_true(fw_test_db_new(&c2.db, test_db_pg(), "fwt_rel"));
	assert_int_equal(fw_store_open(c2.db.url, &c2.s), FW_OK);
	struct fw_release_config rc = {.store = c2.s, .sign_key = &c2.sk, .master_key = c2.master};
	assert_int_equal(fw_release_new(&rc, &c2.rel), FW_OK);
	struct fw_advisory a = {.status = FW_ADVISORY_SCHEDULED, .public_at = T, .created_at = 1};
	snprintf(a.id, sizeof a.id, "adv");
	snprintf(a.title, sizeof a.title, "t");
	assert_int_equal(fw_store_advisory_create(c2.s, &a), FW_OK);
	assert_int_equal(fw_release_plan(c2.rel, "adv", NULL, NULL), FW_ERR_STATE);
	/* A program without members yet: a policy applies (a whole plan of no
	 * member classes is complete), and the plan is current. */
	struct fw_policy_version pv = {.created_at = 1};
	assert_int_equal(fw_release_policy_apply(c2.rel, policy, strlen(policy), &pv, NULL), FW_OK);
	bool current = false;
	assert_int_equal(fw_store_plan_current(c2.s, &current), FW_OK);
	assert_true(current);
	struct ctx *heap = malloc(sizeof c2);
	*heap = c2;
	void *st = heap;
	teardown(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_times_and_exactly_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copies_open_and_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_runners_deliver_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_member_joins_late, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stored_policy_stops_older_plan_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_apply_is_one_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_advisory_change_stops_older_decisions, setup, teardown),
		cmocka_unit_test(test_no_policy_refuses_plan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
