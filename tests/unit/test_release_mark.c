/* Unit tests of fingerprinted copies in src/release: each member's copy of
 * a templated artifact is its own, deterministic (rendering again gives the
 * same bytes, and it equals what src/mark renders from the derived key),
 * recorded in the store with its code's digest, and traceable; artifacts
 * without points or binary ones are delivered as they are; a template that
 * does not parse is refused; a record whose digest does not re-derive stops
 * the delivery. Runs on PostgreSQL too when FW_TEST_DB names one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "mark/mark.h"
#include "release/internal.h"
#include "release/release.h"
#include "store/store.h"

#define T 1751994000 /* 2025-07-08T17:00:00Z */
#define DAY 86400
#define NM 4

static const char *policy = "tier a { grant all at T-5d }\n";

/* 40 points, q 2..4, and a renamed identifier. */
static const char *poc_template(void)
{
	static char text[8192];
	size_t n = (size_t)snprintf(text, sizeof text, "import {{net: socket | socket as sk}}\n");
	for (int i = 0; i < 39; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "field_%d = {{ %d | 0x%x%s }}  # {{=net}}\n", i, i, i,
				      i % 3 == 0 ? " | int(\"0\")+0" : i % 3 == 1 ? "" : " | (1 and 0)+0");
	return text;
}

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
	uint8_t id_sk[NM][32];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof *c);
	assert_int_equal(fw_crypto_init(), FW_OK);
	fw_log_set_level(FW_LOG_ERROR + 1);
	assert_true(fw_test_db_new(&c->db, test_db_pg(), "fwt_mark"));
	assert_int_equal(fw_store_open(c->db.url, &c->s), FW_OK);
	assert_int_equal(fw_minisign_keygen(&c->sk), FW_OK);
	/* A fixed master key: the codes, and so whether 40 points suffice to
	 * name a single leaker among these members, are the same every run (a
	 * random key made the trace assertions fail now and then). */
	for (size_t i = 0; i < sizeof c->master; i++)
		c->master[i] = (uint8_t)(7 * i + 1);
	struct fw_release_config rc = {.store = c->s, .sign_key = &c->sk, .master_key = c->master, .workers = 2};
	assert_int_equal(fw_release_new(&rc, &c->rel), FW_OK);
	struct fw_policy_version pv = {.created_at = 1};
	assert_int_equal(fw_store_policy_add(c->s, &pv, policy, strlen(policy)), FW_OK);
	for (int i = 0; i < NM; i++) {
		struct fw_member m = {.status = FW_MEMBER_ACTIVE, .created_at = 1, .updated_at = 1};
		char ident[FW_CRYPTO_AGE_IDENTITY_BYTES];
		snprintf(m.id, sizeof m.id, "m%d", i + 1);
		snprintf(m.name, sizeof m.name, "member %d", i + 1);
		snprintf(m.tier, sizeof m.tier, "a");
		memcpy(m.jurisdiction, "DE", 3);
		assert_int_equal(fw_age_keygen(m.age_recipient, ident), FW_OK);
		assert_int_equal(fw_age_identity_parse(ident, strlen(ident), c->id_sk[i]), FW_OK);
		assert_int_equal(fw_store_member_create(c->s, &m), FW_OK);
	}
	struct fw_advisory a = {.status = FW_ADVISORY_SCHEDULED, .public_at = T, .created_at = 1};
	snprintf(a.id, sizeof a.id, "adv");
	snprintf(a.title, sizeof a.title, "an advisory");
	assert_int_equal(fw_store_advisory_create(c->s, &a), FW_OK);
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

static enum fw_err add(struct ctx *c, enum fw_kind kind, const void *text, size_t n)
{
	struct fw_artifact a = {.kind = kind, .created_at = 1};
	snprintf(a.advisory_id, sizeof a.advisory_id, "adv");
	snprintf(a.media_type, sizeof a.media_type, "text/plain");
	return fw_release_artifact_add(c->rel, &a, text, n);
}

static void deliver(struct ctx *c, size_t want)
{
	size_t n = 0;
	assert_int_equal(fw_release_plan(c->rel, "adv", NULL, NULL), FW_OK);
	assert_int_equal(fw_release_run_due(c->rel, T - 5 * DAY, &n), FW_OK);
	assert_int_equal(n, want);
}

/* Member i's decrypted copy of kind (version 1); checks the recorded hash. */
static void copy_of(struct ctx *c, int i, enum fw_kind kind, struct fw_buf *out)
{
	char id[16];
	struct fw_delivery_filter f = {.member_id = id, .advisory_id = "adv"};
	struct fw_delivery *d = NULL;
	struct fw_buf sealed;
	size_t n = 0;
	uint8_t h[32];
	snprintf(id, sizeof id, "m%d", i + 1);
	assert_int_equal(fw_store_delivery_list(c->s, &f, &d, &n), FW_OK);
	fw_buf_init(&sealed, 1u << 24);
	fw_buf_init(out, 1u << 24);
	for (size_t k = 0; k < n; k++) {
		if (d[k].kind != kind)
			continue;
		assert_int_equal(fw_store_delivery_content(c->s, d[k].id, &sealed, NULL), FW_OK);
		assert_int_equal(fw_age_open(c->id_sk[i], sealed.data, sealed.len, out), FW_OK);
		fw_crypto_sha256(out->data, out->len, h);
		assert_memory_equal(h, d[k].sha256_plain, 32);
	}
	assert_true(out->len > 0);
	fw_buf_cleanup(&sealed);
	free(d);
}

static enum fw_err trace_entry_fails(void *ctx, const struct fw_release_trace *t, struct fw_buf *entry,
				     uint8_t leaf_hash[32])
{
	(void)ctx, (void)t, (void)entry, (void)leaf_hash;
	return fw_err_set(FW_ERR_IO, "the log is unwritable");
}

static enum fw_err trace_entry_ok(void *ctx, const struct fw_release_trace *t, struct fw_buf *entry,
				  uint8_t leaf_hash[32])
{
	*(int64_t *)ctx = t->id;
	memset(leaf_hash, 0x11, 32);
	return fw_buf_printf(entry, "trace %lld", (long long)t->id);
}

static void test_copies_are_fingerprinted_and_deterministic(void **state)
{
	struct ctx *c = *state;
	const char *tpl = poc_template();
	struct fw_buf copy[NM];
	assert_int_equal(add(c, FW_KIND_POC, tpl, strlen(tpl)), FW_OK);
	deliver(c, NM);
	for (int i = 0; i < NM; i++) {
		copy_of(c, i, FW_KIND_POC, &copy[i]);
		assert_null(strstr(fw_buf_str(&copy[i]), "{{"));
		for (int j = 0; j < i; j++)
			assert_false(copy[i].len == copy[j].len && memcmp(copy[i].data, copy[j].data, copy[i].len) == 0);
	}
	/* The record: the version id, the default parameters, the digest. */
	struct fw_store_mark rec;
	assert_int_equal(fw_store_mark_get(c->s, "adv", FW_KIND_POC, 1, &rec), FW_OK);
	assert_string_equal(rec.version_id, "adv/poc/v1");
	assert_int_equal(rec.points, 40);
	assert_int_equal(rec.c, FW_MARK_DEFAULT_C);
	assert_string_equal(rec.bias, "arcsine");

	/* Independently: the key derived from the master key, the code of the
	 * version id, src/mark's rendering — the same bytes, and the digest. */
	uint8_t key[32], digest[32];
	unsigned q[64];
	struct fw_mark_template *t = NULL;
	struct fw_mark_code *code = NULL;
	struct fw_mark_params prm;
	assert_int_equal(fw_crypto_prf(c->master, "forewarn/mark/key/v1", NULL, 0, key, 32), FW_OK);
	assert_int_equal(fw_mark_parse(tpl, strlen(tpl), &t, NULL), FW_OK);
	fw_mark_template_alphabet(t, q, 40);
	fw_mark_params_init(&prm);
	assert_int_equal(fw_mark_code_new(key, "adv/poc/v1", q, 40, &prm, &code), FW_OK);
	fw_mark_code_digest(code, digest);
	assert_memory_equal(digest, rec.digest, 32);
	for (int i = 0; i < NM; i++) {
		char id[16];
		struct fw_buf again;
		snprintf(id, sizeof id, "m%d", i + 1);
		fw_buf_init(&again, 1u << 24);
		assert_int_equal(fw_mark_render_member(t, code, id, &again), FW_OK);
		assert_int_equal(again.len, copy[i].len);
		assert_memory_equal(again.data, copy[i].data, again.len);
		fw_buf_cleanup(&again);
	}

	/* The release's own render step, twice, after a fresh prepare. */
	struct fw_artifact meta = {.kind = FW_KIND_POC, .version = 1};
	struct fw_release_mark_version mv = {0};
	struct fw_member m = {.status = FW_MEMBER_ACTIVE};
	snprintf(meta.advisory_id, sizeof meta.advisory_id, "adv");
	snprintf(m.id, sizeof m.id, "m2");
	assert_int_equal(fw_release_mark_prepare(c->rel, &meta, (const uint8_t *)tpl, strlen(tpl), &mv), FW_OK);
	assert_true(mv.marked);
	for (int k = 0; k < 2; k++) {
		struct fw_buf scratch;
		const uint8_t *out;
		size_t out_len;
		fw_buf_init(&scratch, 1u << 24);
		assert_int_equal(fw_release_render(&meta, (const uint8_t *)tpl, strlen(tpl), &mv, &m, &scratch, &out, &out_len),
				 FW_OK);
		assert_int_equal(out_len, copy[1].len);
		assert_memory_equal(out, copy[1].data, out_len);
		fw_buf_cleanup(&scratch);
	}
	fw_release_mark_version_cleanup(&mv);

	/* A leaked copy names its member and nobody else. */
	struct fw_release_trace_input in = {.name = "leak", .data = copy[2].data, .n = copy[2].len};
	struct fw_release_trace tr;
	assert_int_equal(fw_release_trace(c->rel, "adv", FW_KIND_POC, &in, 1, 1e-6, "test", NULL, &tr), FW_OK);
	assert_int_equal(tr.scored, NM);
	assert_int_equal(tr.naccused, 1);
	assert_string_equal(tr.verdict[0].member_id, "m3");
	assert_int_equal(tr.file[0].version, 1);
	fw_release_trace_cleanup(&tr);
	size_t traces = 0;
	assert_int_equal(fw_store_trace_count(c->s, "adv", &traces), FW_OK);
	assert_int_equal(traces, 1);
	/* The run and its log entry are one transaction: an entry that cannot
	 * be made leaves no run either; one that can sees the run's id. */
	struct fw_release_trace_log bad = {.make = trace_entry_fails};
	assert_int_equal(fw_release_trace(c->rel, "adv", FW_KIND_POC, &in, 1, 1e-6, "test", &bad, &tr), FW_ERR_IO);
	assert_false(bad.written);
	assert_int_equal(fw_store_trace_count(c->s, "adv", &traces), FW_OK);
	assert_int_equal(traces, 1);
	int64_t seen = 0;
	struct fw_release_trace_log good = {.make = trace_entry_ok, .ctx = &seen};
	assert_int_equal(fw_release_trace(c->rel, "adv", FW_KIND_POC, &in, 1, 1e-6, "test", &good, &tr), FW_OK);
	assert_true(good.written);
	assert_true(seen > 0 && seen == tr.id);
	fw_release_trace_cleanup(&tr);
	assert_int_equal(fw_store_trace_count(c->s, "adv", &traces), FW_OK);
	assert_int_equal(traces, 2);

	fw_crypto_wipe(key, sizeof key);
	fw_mark_code_free(code);
	fw_mark_template_free(t);
	for (int i = 0; i < NM; i++)
		fw_buf_cleanup(&copy[i]);
}

static void test_unmarked_are_delivered_as_is(void **state)
{
	struct ctx *c = *state;
	const char *plain = "no points in this description\n";
	const char *summary = "a summary with {{ a | b }} (summary is not markable)\n";
	uint8_t bin[256];
	for (size_t i = 0; i < sizeof bin; i++)
		bin[i] = (uint8_t)(255 - i); /* not UTF-8: binary */
	memcpy(bin + 10, "{{ x | y }}", 11);
	assert_int_equal(add(c, FW_KIND_DESCRIPTION, plain, strlen(plain)), FW_OK);
	assert_int_equal(add(c, FW_KIND_SUMMARY, summary, strlen(summary)), FW_OK);
	assert_int_equal(add(c, FW_KIND_POC, bin, sizeof bin), FW_OK);
	deliver(c, 3 * NM);
	for (int i = 0; i < NM; i++) {
		struct fw_buf b;
		copy_of(c, i, FW_KIND_DESCRIPTION, &b);
		assert_int_equal(b.len, strlen(plain));
		assert_memory_equal(b.data, plain, b.len);
		fw_buf_cleanup(&b);
		copy_of(c, i, FW_KIND_SUMMARY, &b);
		assert_memory_equal(b.data, summary, strlen(summary));
		fw_buf_cleanup(&b);
		copy_of(c, i, FW_KIND_POC, &b);
		assert_int_equal(b.len, sizeof bin);
		assert_memory_equal(b.data, bin, sizeof bin);
		fw_buf_cleanup(&b);
	}
	struct fw_store_mark rec;
	assert_int_equal(fw_store_mark_get(c->s, "adv", FW_KIND_DESCRIPTION, 1, &rec), FW_ERR_NOT_FOUND);
}

static void test_bad_template_refused(void **state)
{
	struct ctx *c = *state;
	const char *bad = "ok = {{ 1 | 2 }}\nbroken = {{ 3 | 4\n";
	struct fw_release_mark_info *mi = calloc(1, sizeof *mi);
	assert_int_equal(add(c, FW_KIND_POC, bad, strlen(bad)), FW_ERR_INVALID);
	assert_non_null(strstr(fw_err_detail(), "line 2:10"));
	struct fw_artifact a;
	assert_int_equal(fw_store_artifact_get(c->s, "adv", FW_KIND_POC, 0, &a, NULL), FW_ERR_NOT_FOUND);
	const char *tpl = poc_template();
	assert_int_equal(fw_release_mark_inspect(c->rel, FW_KIND_DETECTION, (const uint8_t *)tpl, strlen(tpl), mi),
			 FW_OK);
	assert_true(mi->markable);
	assert_int_equal(mi->points, 40);
	assert_int_equal(mi->q[0], 2);
	assert_int_equal(mi->q[1], 3);
	free(mi);
}

/* A record whose digest the code does not re-derive to stops delivery. */
static void test_digest_mismatch_stops_delivery(void **state)
{
	struct ctx *c = *state;
	const char *tpl = poc_template();
	fw_release_set_markable_kinds(c->rel, 0); /* stored with no record */
	assert_int_equal(add(c, FW_KIND_POC, tpl, strlen(tpl)), FW_OK);
	struct fw_store_mark rec = {.kind = FW_KIND_POC, .version = 1, .points = 40, .c = FW_MARK_DEFAULT_C,
				    .created_at = 1};
	snprintf(rec.advisory_id, sizeof rec.advisory_id, "adv");
	snprintf(rec.version_id, sizeof rec.version_id, "adv/poc/v1");
	snprintf(rec.key_label, sizeof rec.key_label, "forewarn/mark/key/v1");
	snprintf(rec.bias, sizeof rec.bias, "arcsine");
	memset(rec.digest, 0x5a, 32);
	assert_int_equal(fw_store_mark_add(c->s, &rec), FW_OK);
	assert_int_equal(fw_store_mark_add(c->s, &rec), FW_ERR_EXISTS);
	fw_release_set_markable_kinds(c->rel, FW_RELEASE_MARKABLE_DEFAULT);
	deliver(c, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copies_are_fingerprinted_and_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmarked_are_delivered_as_is, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_template_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digest_mismatch_stops_delivery, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
