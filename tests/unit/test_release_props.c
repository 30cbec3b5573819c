/* Property tests of planning and release with random policies and members
 * (fixed seeds, so a failure can be replayed):
 *  - a withheld kind is never delivered;
 *  - no copy is made earlier than the decision in force allows (restrictions
 *    included);
 *  - a suspended or expelled member receives nothing after the change;
 *  - applying a policy and then the previous one restores the plan exactly;
 *  - the plan, made once per member class, is for every member what the
 *    policy decides for that member. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "policy/policy.h"
#include "release/release.h"
#include "store/store.h"

#define T 1751994000 /* 2025-07-08T17:00:00Z */
#define DAY 86400
#define NMEMBERS 12
#define ROUNDS 8

static const char *const tiers[] = {"gold", "silver", "bronze"};
static const char *const lands[] = {"CN", "DE", "US", "RU"};
static const char *const kinds[] = {"summary", "description", "detection", "indicators", "mitigation", "poc"};

/* xorshift64*: the test's own generator, seeded per round. */
static uint64_t rnd_state;
static size_t checked; /* deliveries checked: the properties are not vacuous */
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 2685821657736338717ULL;
}
static unsigned pick(unsigned n) { return (unsigned)(rnd() % n); }

static void kind_list(struct fw_buf *b)
{
	unsigned first = pick(6), n = 1 + pick(3);
	for (unsigned i = 0; i < n; i++)
		if (fw_buf_printf(b, "%s%s", i ? ", " : "", kinds[(first + i) % 6]) != FW_OK)
			fail();
}

/* A random but valid policy: grants per tier, maybe a public block, and a
 * few restrictions over jurisdiction, tier and kind. */
static void random_policy(struct fw_buf *b)
{
	fw_buf_reset(b);
	assert_int_equal(fw_buf_puts(b, "set watched = [CN, RU]\nset named = [m01, m04, m07, m09, m10]\n"), FW_OK);
	for (unsigned t = 0; t < 3; t++) {
		assert_int_equal(fw_buf_printf(b, "tier %s { grant ", tiers[t]), FW_OK);
		kind_list(b);
		assert_int_equal(fw_buf_printf(b, " at T-%ud }\n", 1 + pick(20)), FW_OK);
	}
	if (pick(2)) {
		assert_int_equal(fw_buf_puts(b, "public { grant "), FW_OK);
		kind_list(b);
		assert_int_equal(fw_buf_puts(b, " at T }\n"), FW_OK);
	}
	unsigned nr = pick(6);
	for (unsigned i = 0; i < nr; i++) {
		static const char *const conds[] = {"member.jurisdiction in watched", "member.tier == silver",
						    "kind in [poc, indicators]", "member.jurisdiction == DE and kind == summary",
						    "not (member.tier == gold)", "member.id in [m01, m07]",
						    "\"gov\" in member.tags or member.id == m03",
						    "member.status == probation and not (member.jurisdiction == US)",
						    "member.id in named", "member.id in named and kind == poc"};
		assert_int_equal(fw_buf_printf(b, "restrict r%u when %s { ", i, conds[pick(10)]), FW_OK);
		switch (pick(3)) {
		case 0:
			assert_int_equal(fw_buf_puts(b, "withhold "), FW_OK);
			kind_list(b);
			break;
		case 1:
			assert_int_equal(fw_buf_puts(b, "delay "), FW_OK);
			kind_list(b);
			assert_int_equal(fw_buf_printf(b, " until T-%ud", pick(3)), FW_OK);
			break;
		default:
			assert_int_equal(fw_buf_printf(b, "cap tier %s", tiers[pick(3)]), FW_OK);
		}
		assert_int_equal(fw_buf_puts(b, " }\n"), FW_OK);
	}
}

struct world {
	char dir[64];
	struct fw_store *s;
	struct fw_release *rel;
	struct fw_sign_key sk;
	uint8_t master[32];
};

static void world_open(struct world *w)
{
	char url[128];
	snprintf(w->dir, sizeof w->dir, "/tmp/fwprop.XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	snprintf(url, sizeof url, "sqlite:%s/db", w->dir);
	assert_int_equal(fw_store_open(url, &w->s), FW_OK);
	assert_int_equal(fw_minisign_keygen(&w->sk), FW_OK);
	fw_crypto_random(w->master, sizeof w->master);
	struct fw_release_config rc = {.store = w->s, .sign_key = &w->sk, .master_key = w->master, .workers = 1};
	assert_int_equal(fw_release_new(&rc, &w->rel), FW_OK);
}

static void world_close(struct world *w)
{
	char path[128];
	fw_release_free(w->rel);
	fw_store_close(w->s);
	static const char *const files[] = {"db", "db-wal", "db-shm"};
	for (unsigned i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", w->dir, files[i]);
		unlink(path);
	}
	rmdir(w->dir);
}

static void apply(struct world *w, const struct fw_buf *text)
{
	struct fw_policy_version v = {.created_at = 1};
	fw_crypto_sha256(text->data, text->len, v.sha256);
	enum fw_err r = fw_release_policy_apply(w->rel, fw_buf_str(text), text->len, &v, NULL);
	if (r != FW_OK)
		fail_msg("policy refused: %s\n%s", fw_err_detail(), fw_buf_str(text));
}

static void populate(struct world *w)
{
	char ident[FW_CRYPTO_AGE_IDENTITY_BYTES];
	for (unsigned i = 0; i < NMEMBERS; i++) {
		struct fw_member m = {.status = pick(4) == 0 ? FW_MEMBER_PROBATION : FW_MEMBER_ACTIVE};
		snprintf(m.id, sizeof m.id, "m%02u", i);
		snprintf(m.name, sizeof m.name, "member %u", i);
		snprintf(m.tier, sizeof m.tier, "%s", tiers[pick(3)]);
		memcpy(m.jurisdiction, lands[pick(4)], 3);
		static const char *const tags[] = {"gov", "edu", "isp"};
		m.tags.n = pick(3);
		for (size_t t = 0; t < m.tags.n; t++)
			snprintf(m.tags.v[t], sizeof m.tags.v[t], "%s", tags[pick(3)]);
		assert_int_equal(fw_age_keygen(m.age_recipient, ident), FW_OK);
		assert_int_equal(fw_store_member_create(w->s, &m), FW_OK);
	}
	struct fw_advisory a = {.status = FW_ADVISORY_SCHEDULED, .public_at = T};
	snprintf(a.id, sizeof a.id, "adv");
	snprintf(a.title, sizeof a.title, "t");
	assert_int_equal(fw_store_advisory_create(w->s, &a), FW_OK);
	for (int k = 0; k < FW_KIND_COUNT; k++) {
		struct fw_artifact art = {.kind = (enum fw_kind)k};
		snprintf(art.advisory_id, sizeof art.advisory_id, "adv");
		snprintf(art.media_type, sizeof art.media_type, "text/plain");
		assert_int_equal(fw_release_artifact_add(w->rel, &art, (const uint8_t *)kinds[k], strlen(kinds[k])), FW_OK);
	}
}

/* Every delivery made at `now` must be allowed by the policy in force. */
static void check_new_deliveries(struct world *w, const struct fw_buf *text, int64_t now, int64_t after_id,
				 const char *suspended)
{
	struct fw_policy *pol = NULL;
	struct fw_delivery *d = NULL;
	size_t n = 0;
	struct fw_delivery_filter f = {.after_id = after_id};
	struct fw_advisory a;
	assert_int_equal(fw_policy_parse(fw_buf_str(text), text->len, &pol, NULL), FW_OK);
	assert_int_equal(fw_store_advisory_get(w->s, "adv", &a), FW_OK);
	assert_int_equal(fw_store_delivery_list(w->s, &f, &d, &n), FW_OK);
	for (size_t i = 0; i < n; i++) {
		struct fw_member m;
		struct fw_policy_decision dec;
		assert_int_equal(fw_store_member_get(w->s, d[i].member_id, &m), FW_OK);
		fw_policy_decide(pol, &m, &a, d[i].kind, &dec);
		if (dec.withheld)
			fail_msg("%s got withheld %s: %s", m.id, fw_kind_name(d[i].kind), dec.reason);
		if (now < T + dec.offset)
			fail_msg("%s got %s at %lld, before T%+lld", m.id, fw_kind_name(d[i].kind),
				 (long long)(now - T), (long long)dec.offset);
		if (suspended && strcmp(m.id, suspended) == 0)
			fail_msg("suspended member %s got %s", m.id, fw_kind_name(d[i].kind));
		checked++;
	}
	free(d);
	fw_policy_free(pol);
}

static int64_t last_id(struct world *w)
{
	struct fw_delivery *d = NULL;
	size_t n = 0;
	assert_int_equal(fw_store_delivery_list(w->s, NULL, &d, &n), FW_OK);
	int64_t id = n ? d[n - 1].id : 0;
	free(d);
	return id;
}

static void test_random_worlds(void **state)
{
	(void)state;
	struct fw_buf p1, p2;
	fw_buf_init(&p1, 1 << 16);
	fw_buf_init(&p2, 1 << 16);
	for (unsigned round = 0; round < ROUNDS; round++) {
		struct world w;
		rnd_state = 0x9E3779B97F4A7C15ULL * (round + 1);
		world_open(&w);
		populate(&w);
		random_policy(&p1);
		apply(&w, &p1);
		struct fw_buf *cur = &p1;
		char suspended[16] = "";
		for (int64_t now = T - 21 * DAY; now <= T + DAY; now += DAY / 2 + (int64_t)pick(DAY)) {
			int64_t before = last_id(&w);
			size_t n;
			assert_int_equal(fw_release_run_due(w.rel, now, &n), FW_OK);
			check_new_deliveries(&w, cur, now, before, suspended[0] ? suspended : NULL);
			switch (pick(6)) {
			case 0: /* a new policy, at once */
				random_policy(cur == &p1 ? &p2 : &p1);
				cur = cur == &p1 ? &p2 : &p1;
				apply(&w, cur);
				break;
			case 1: { /* a sanction */
				struct fw_member m;
				snprintf(suspended, sizeof suspended, "m%02u", pick(NMEMBERS));
				assert_int_equal(fw_store_member_get(w.s, suspended, &m), FW_OK);
				m.status = pick(2) ? FW_MEMBER_SUSPENDED : FW_MEMBER_EXPELLED;
				assert_int_equal(fw_store_member_update(w.s, &m), FW_OK);
				assert_int_equal(fw_release_plan_member(w.rel, m.id), FW_OK);
				break;
			}
			default:
				break;
			}
		}
		world_close(&w);
	}
	fw_buf_cleanup(&p1);
	fw_buf_cleanup(&p2);
	/* Enough copies were made for the checks to mean something. */
	assert_true(checked > ROUNDS * NMEMBERS);
}

static bool same_plan(const struct fw_plan_entry *a, size_t na, const struct fw_plan_entry *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].member_id, b[i].member_id) || a[i].kind != b[i].kind || a[i].withheld != b[i].withheld ||
		    a[i].release_at != b[i].release_at || strcmp(a[i].reason, b[i].reason))
			return false;
	return true;
}

static void test_apply_then_previous_restores_plan(void **state)
{
	(void)state;
	struct fw_buf p1, p2;
	fw_buf_init(&p1, 1 << 16);
	fw_buf_init(&p2, 1 << 16);
	for (unsigned round = 0; round < ROUNDS; round++) {
		struct world w;
		struct fw_plan_entry *before = NULL, *after = NULL;
		size_t nb = 0, na = 0;
		rnd_state = 0xD1B54A32D192ED03ULL * (round + 7);
		world_open(&w);
		populate(&w);
		random_policy(&p1);
		random_policy(&p2);
		apply(&w, &p1);
		assert_int_equal(fw_store_plan_list(w.s, "adv", NULL, &before, &nb), FW_OK);
		apply(&w, &p2);
		apply(&w, &p1);
		assert_int_equal(fw_store_plan_list(w.s, "adv", NULL, &after, &na), FW_OK);
		assert_true(nb == NMEMBERS * FW_KIND_COUNT);
		if (!same_plan(before, nb, after, na))
			fail_msg("round %u: the plan differs after applying p2 then p1 again", round);
		free(before);
		free(after);
		world_close(&w);
	}
	fw_buf_cleanup(&p1);
	fw_buf_cleanup(&p2);
}

/* Planning decides once per member class: for every member and kind the
 * stored plan must be what the policy decides for that very member. */
static void test_class_plan_is_each_members_decision(void **state)
{
	(void)state;
	struct fw_buf p;
	size_t compared = 0;
	fw_buf_init(&p, 1 << 16);
	for (unsigned round = 0; round < 4 * ROUNDS; round++) {
		struct world w;
		struct fw_plan_entry *plan = NULL;
		struct fw_member *ms = NULL;
		struct fw_policy *pol = NULL;
		struct fw_advisory a;
		size_t np = 0, nm = 0;
		rnd_state = 0x9E3779B97F4A7C15ULL * (round + 3);
		world_open(&w);
		populate(&w);
		random_policy(&p);
		apply(&w, &p);
		assert_int_equal(fw_policy_parse(fw_buf_str(&p), p.len, &pol, NULL), FW_OK);
		assert_int_equal(fw_store_advisory_get(w.s, "adv", &a), FW_OK);
		assert_int_equal(fw_store_member_list(w.s, &ms, &nm), FW_OK);
		assert_int_equal(fw_store_plan_list(w.s, "adv", NULL, &plan, &np), FW_OK);
		assert_true(np == nm * FW_KIND_COUNT);
		for (size_t i = 0; i < np; i++) {
			const struct fw_member *m = NULL;
			for (size_t j = 0; j < nm && !m; j++)
				if (strcmp(ms[j].id, plan[i].member_id) == 0)
					m = &ms[j];
			assert_non_null(m);
			struct fw_policy_decision d;
			fw_policy_decide(pol, m, &a, plan[i].kind, &d);
			if (d.withheld != plan[i].withheld || (!d.withheld && T + d.offset != plan[i].release_at) ||
			    strcmp(d.reason, plan[i].reason) != 0)
				fail_msg("round %u: %s %s: planned %s at %lld (%s), the policy decides %s at %lld (%s)\n%s",
					 round, m->id, fw_kind_name(plan[i].kind), plan[i].withheld ? "withheld" : "release",
					 (long long)plan[i].release_at, plan[i].reason, d.withheld ? "withheld" : "release",
					 (long long)(T + d.offset), d.reason, fw_buf_str(&p));
			compared++;
		}
		fw_policy_free(pol);
		free(ms);
		free(plan);
		world_close(&w);
	}
	assert_true(compared == 4 * ROUNDS * NMEMBERS * FW_KIND_COUNT);
	fw_buf_cleanup(&p);
}

int main(void)
{
	if (fw_crypto_init() != FW_OK)
		return 1;
	fw_log_set_level(FW_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_worlds),
		cmocka_unit_test(test_apply_then_previous_restores_plan),
		cmocka_unit_test(test_class_plan_is_each_members_decision),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
