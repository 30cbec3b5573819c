/* The log's storage (store.h log ops) and the log service (src/tlog/log.c),
 * on SQLite and - when FW_TEST_PG_URL (or a postgresql:// FW_TEST_DB) names
 * a server - once more on PostgreSQL, each test in a schema of its own.
 *
 * What is checked: sequencing gives consecutive indices, also with a
 * delivery batch; a delivery's entry and the delivery go in together or not
 * at all; integration signs a checkpoint that verifies, whose root is the
 * RFC 9162 root of the entries; proofs and tiles from the store verify; a
 * second service on the same store (another node) loses the compare-and-set
 * harmlessly; a restart resumes from the stored frontier. */
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
#include "store/store.h"
#include "tlog/tlog.h"

static char pg_url[512];

struct ctx {
	struct fw_test_db db;
	struct fw_store *s;
	struct fw_sign_key key;
	uint8_t master[32];
};

static int open_ctx(void **state, bool pg)
{
	struct ctx *c = calloc(1, sizeof *c);
	if (!c)
		return -1;
	if (!fw_test_db_new(&c->db, pg ? pg_url : NULL, "fwlog"))
		return -1;
	if (fw_store_open(c->db.url, &c->s) != FW_OK) {
		fprintf(stderr, "cannot open %s: %s\n", c->db.url, fw_err_detail());
		return -1;
	}
	uint8_t seed[32];
	fw_crypto_sha256("forewarn example log key", 24, seed);
	fw_crypto_ed25519_from_seed(seed, &c->key);
	memset(c->master, 7, sizeof c->master);
	*state = c;
	return 0;
}

static int setup_sqlite(void **state) { return open_ctx(state, false); }
static int setup_pg(void **state) { return open_ctx(state, true); }

static int teardown(void **state)
{
	struct ctx *c = *state;
	fw_store_close(c->s);
	fw_test_db_remove(&c->db);
	free(c);
	return 0;
}

static struct fw_tlog_log *open_log(struct ctx *c)
{
	struct fw_tlog_log *l = NULL;
	struct fw_tlog_log_config cfg = {.store = c->s, .key = &c->key, .origin = "log.test/a"};
	assert_int_equal(fw_tlog_log_open(&cfg, &l), FW_OK);
	return l;
}

static void append_n(struct fw_tlog_log *l, unsigned from, unsigned n, uint8_t (*leaves)[32])
{
	for (unsigned i = from; i < from + n; i++) {
		char e[64];
		uint64_t idx = 0;
		int k = snprintf(e, sizeof e, "{\"n\":%u,\"type\":\"test\",\"v\":1}", i);
		assert_int_equal(fw_tlog_log_append(l, (const uint8_t *)e, (size_t)k, &idx), FW_OK);
		assert_int_equal(idx, i);
		fw_tlog_leaf_hash((const uint8_t *)e, (size_t)k, leaves[i]);
	}
}

/* The checkpoint of the newest tree, opened under the log's key. */
static void newest(struct ctx *c, struct fw_tlog_log *l, struct fw_tlog_checkpoint *cp)
{
	struct fw_buf note;
	struct fw_tlog_vkey k;
	char vk[FW_TLOG_VKEY_BYTES];
	assert_int_equal(fw_tlog_log_vkey(l, vk), FW_OK);
	assert_int_equal(fw_tlog_vkey_parse(vk, strlen(vk), &k), FW_OK);
	struct fw_tlog_policy pol = {.log_key = &k};
	fw_buf_init(&note, FW_TLOG_NOTE_MAX);
	assert_int_equal(fw_tlog_log_checkpoint(l, true, 0, &note, NULL), FW_OK);
	assert_int_equal(fw_tlog_checkpoint_open(fw_buf_str(&note), note.len, &pol, cp), FW_OK);
	cp->ext = NULL;
	fw_buf_cleanup(&note);
	(void)c;
}

static void test_integrate_and_prove(void **state)
{
	struct ctx *c = *state;
	enum { N = 700 };
	static uint8_t leaves[N][32];
	struct fw_tlog_log *l = open_log(c);
	struct fw_tlog_checkpoint cp;
	uint64_t size = 0;

	assert_int_equal(fw_tlog_log_integrate(l, &size), FW_OK);
	assert_int_equal(size, 0); /* the empty tree gets a checkpoint */
	append_n(l, 0, 300, leaves);
	assert_int_equal(fw_tlog_log_integrate(l, &size), FW_OK);
	assert_int_equal(size, 300);
	newest(c, l, &cp);
	uint8_t root300[32];
	memcpy(root300, cp.root, 32);
	append_n(l, 300, N - 300, leaves);
	assert_int_equal(fw_tlog_log_integrate(l, &size), FW_OK);
	assert_int_equal(size, N);
	newest(c, l, &cp);
	assert_int_equal(cp.size, N);
	assert_string_equal(cp.origin, "log.test/a");

	/* The signed root is the RFC 9162 root of the entries. */
	struct fw_tlog_leaves ref = {(const uint8_t(*)[32])leaves, N};
	uint8_t root[32];
	assert_int_equal(fw_tlog_tree_hash(N, fw_tlog_leaves_node, &ref, root), FW_OK);
	assert_memory_equal(root, cp.root, 32);

	struct fw_tlog_proof p;
	for (uint64_t i = 0; i < N; i += 37) {
		assert_int_equal(fw_tlog_log_inclusion(l, i, N, &p), FW_OK);
		assert_int_equal(fw_tlog_inclusion_verify(i, N, leaves[i], &p, cp.root), FW_OK);
		leaves[i][0] ^= 1; /* negative: a flipped bit */
		assert_int_equal(fw_tlog_inclusion_verify(i, N, leaves[i], &p, cp.root), FW_ERR_CRYPTO);
		leaves[i][0] ^= 1;
	}
	assert_int_equal(fw_tlog_log_consistency(l, 300, N, &p), FW_OK);
	assert_int_equal(fw_tlog_consistency_verify(300, N, root300, cp.root, &p), FW_OK);
	/* Not beyond the newest checkpoint. */
	assert_int_equal(fw_tlog_log_inclusion(l, 0, N + 1, &p), FW_ERR_NOT_FOUND);

	/* Tiles: a full and a partial level-0 tile, the level-1 tile, a bundle. */
	struct fw_buf b;
	struct fw_tlog_tile t = {false, 0, 1, 256};
	fw_buf_init(&b, 1 << 22);
	assert_int_equal(fw_tlog_log_tile(l, &t, &b), FW_OK);
	assert_int_equal(b.len, 256 * 32);
	assert_memory_equal(b.data, leaves[256], 256 * 32);
	fw_buf_reset(&b);
	t = (struct fw_tlog_tile){true, 0, 2, N - 512};
	assert_int_equal(fw_tlog_log_tile(l, &t, &b), FW_OK);
	assert_int_equal(fw_tlog_bundle_verify(b.data, b.len, N - 512, leaves[512]), FW_OK);
	fw_buf_reset(&b);
	t = (struct fw_tlog_tile){false, 1, 0, 2};
	assert_int_equal(fw_tlog_log_tile(l, &t, &b), FW_OK);
	uint8_t h[32];
	assert_int_equal(fw_tlog_hashes_root(leaves[0], 256, h), FW_OK);
	assert_memory_equal(b.data, h, 32);
	fw_buf_reset(&b);
	t = (struct fw_tlog_tile){false, 0, 3, 1}; /* not in the tree */
	assert_int_equal(fw_tlog_log_tile(l, &t, &b), FW_ERR_NOT_FOUND);
	fw_buf_cleanup(&b);
	fw_tlog_log_free(l);
}

/* Another node (a second service on the same store) integrating at the same
 * time: the compare-and-set lets one win; both end at the same tree. A
 * restart resumes from the stored frontier. */
static void test_two_nodes_and_restart(void **state)
{
	struct ctx *c = *state;
	static uint8_t leaves[600][32];
	struct fw_tlog_log *a = open_log(c), *b = open_log(c);
	struct fw_store_log_state st;
	uint64_t sa = 0, sb = 0;
	append_n(a, 0, 200, leaves);
	/* b reads the state, then a integrates: b's write must lose. */
	assert_int_equal(fw_store_log_state(c->s, &st), FW_OK);
	assert_int_equal(st.sequenced, 200);
	assert_int_equal(st.integrated, 0);
	assert_int_equal(fw_tlog_log_integrate(a, &sa), FW_OK);
	uint8_t root[32] = {0};
	struct fw_store_log_integration late = {.old_size = 0, .new_size = 1, .frontier = st.frontier,
						.frontier_len = st.frontier_len, .root = root, .note = "x\n",
						.note_len = 2};
	assert_int_equal(fw_store_log_integrate(c->s, &late), FW_ERR_STATE);
	fw_err_clear();
	assert_int_equal(fw_tlog_log_integrate(b, &sb), FW_OK);
	assert_int_equal(sa, 200);
	assert_int_equal(sb, 200);
	append_n(b, 200, 400, leaves);
	fw_tlog_log_free(a);
	fw_tlog_log_free(b);
	/* "Restart": a new service finds 400 unintegrated entries. */
	a = open_log(c);
	assert_int_equal(fw_tlog_log_integrate(a, &sa), FW_OK);
	assert_int_equal(sa, 600);
	struct fw_tlog_checkpoint cp;
	newest(c, a, &cp);
	struct fw_tlog_leaves ref = {(const uint8_t(*)[32])leaves, 600};
	assert_int_equal(fw_tlog_tree_hash(600, fw_tlog_leaves_node, &ref, root), FW_OK);
	assert_memory_equal(root, cp.root, 32);
	fw_tlog_log_free(a);
}

/* Entries name nobody; the opening opens the commitment. */
static void test_delivery_entry(void **state)
{
	struct ctx *c = *state;
	struct fw_delivery d;
	struct fw_buf e;
	char opening[FW_TLOG_OPENING_BYTES], hex[65];
	uint8_t h[32];
	memset(&d, 0, sizeof d);
	snprintf(d.member_id, sizeof d.member_id, "acme");
	snprintf(d.advisory_id, sizeof d.advisory_id, "sp-rce");
	d.kind = FW_KIND_POC;
	d.version = 2;
	d.created_at = 1751994000;
	memset(d.sha256_sealed, 0xab, 32);
	memset(d.sha256_plain, 0xcd, 32);
	fw_buf_init(&e, FW_TLOG_ENTRY_MAX);
	assert_int_equal(fw_tlog_entry_delivery(c->master, &d, &e), FW_OK);
	assert_null(strstr(fw_buf_str(&e), "acme"));
	assert_null(strstr(fw_buf_str(&e), "sp-rce"));
	assert_null(strstr(fw_buf_str(&e), "poc"));
	assert_non_null(strstr(fw_buf_str(&e), "\"sealed_sha256\":\"abab"));
	assert_int_equal(fw_tlog_delivery_opening(c->master, &d, opening), FW_OK);
	assert_non_null(strstr(opening, "member acme\nadvisory sp-rce\nkind poc\nversion 2\n"));
	fw_crypto_sha256(opening, strlen(opening), h);
	fw_crypto_hex(h, 32, hex);
	assert_non_null(strstr(fw_buf_str(&e), hex));
	/* Another member: another commitment (no linking by equal values). */
	struct fw_buf e2;
	fw_buf_init(&e2, FW_TLOG_ENTRY_MAX);
	snprintf(d.member_id, sizeof d.member_id, "acmf");
	assert_int_equal(fw_tlog_entry_delivery(c->master, &d, &e2), FW_OK);
	assert_memory_not_equal(e.data, e2.data, 80);
	fw_buf_cleanup(&e);
	fw_buf_cleanup(&e2);
}

/* A delivery batch sequences its entries in its own transaction; a copy
 * delivered already gets no second entry. */
static void test_delivery_batch(void **state)
{
	struct ctx *c = *state;
	struct fw_member m;
	struct fw_advisory a;
	struct fw_artifact art;
	memset(&m, 0, sizeof m);
	snprintf(m.id, sizeof m.id, "m1");
	snprintf(m.name, sizeof m.name, "M");
	snprintf(m.tier, sizeof m.tier, "gold");
	snprintf(m.jurisdiction, sizeof m.jurisdiction, "DE");
	snprintf(m.age_recipient, sizeof m.age_recipient, "age1qqqq");
	assert_int_equal(fw_store_member_create(c->s, &m), FW_OK);
	memset(&a, 0, sizeof a);
	snprintf(a.id, sizeof a.id, "adv");
	snprintf(a.title, sizeof a.title, "t");
	assert_int_equal(fw_store_advisory_create(c->s, &a), FW_OK);
	memset(&art, 0, sizeof art);
	snprintf(art.advisory_id, sizeof art.advisory_id, "adv");
	art.kind = FW_KIND_SUMMARY;
	snprintf(art.media_type, sizeof art.media_type, "text/plain");
	assert_int_equal(fw_store_artifact_add(c->s, &art, (const uint8_t *)"x", 1), FW_OK);

	struct fw_tlog_log *l = open_log(c);
	uint64_t idx = 0;
	assert_int_equal(fw_tlog_log_append(l, (const uint8_t *)"{}", 2, &idx), FW_OK); /* index 0 */
	struct fw_store_copy cp[2];
	struct fw_buf e[2];
	memset(cp, 0, sizeof cp);
	for (int i = 0; i < 2; i++) {
		struct fw_delivery *d = &cp[i].d;
		snprintf(d->member_id, sizeof d->member_id, "m1");
		snprintf(d->advisory_id, sizeof d->advisory_id, "adv");
		d->kind = FW_KIND_SUMMARY;
		d->version = 1;
		cp[i].sealed = (const uint8_t *)"sealed";
		cp[i].n = 6;
		fw_buf_init(&e[i], FW_TLOG_ENTRY_MAX);
		assert_int_equal(fw_tlog_entry_delivery(c->master, d, &e[i]), FW_OK);
		cp[i].entry = e[i].data;
		cp[i].entry_len = e[i].len;
		fw_tlog_leaf_hash(e[i].data, e[i].len, cp[i].leaf_hash);
	}
	/* The same copy twice in one batch: the second is skipped, with no entry. */
	assert_int_equal(fw_store_delivery_insert_many(c->s, cp, 2), FW_OK);
	assert_true(cp[0].inserted);
	assert_false(cp[1].inserted);
	assert_int_equal(cp[0].log_index, 1);
	struct fw_store_log_state st;
	assert_int_equal(fw_store_log_state(c->s, &st), FW_OK);
	assert_int_equal(st.sequenced, 2);
	struct fw_buf got;
	fw_buf_init(&got, FW_TLOG_ENTRY_MAX);
	assert_int_equal(fw_store_log_delivery_entry(c->s, cp[0].d.id, &idx, &got), FW_OK);
	assert_int_equal(idx, 1);
	assert_int_equal(got.len, e[0].len);
	assert_memory_equal(got.data, e[0].data, got.len);
	/* A batch that fails (an unknown member) leaves neither delivery nor entry. */
	snprintf(cp[1].d.member_id, sizeof cp[1].d.member_id, "nobody");
	assert_int_not_equal(fw_store_delivery_insert_many(c->s, &cp[1], 1), FW_OK);
	fw_err_clear();
	assert_int_equal(fw_store_log_state(c->s, &st), FW_OK);
	assert_int_equal(st.sequenced, 2);
	/* The receipt verifies. */
	struct fw_buf rc;
	fw_buf_init(&rc, FW_TLOG_RECEIPT_MAX);
	assert_int_equal(fw_tlog_log_receipt(l, cp[0].d.id, &rc, NULL, &idx), FW_OK);
	struct fw_tlog_vkey k;
	char vk[FW_TLOG_VKEY_BYTES];
	assert_int_equal(fw_tlog_log_vkey(l, vk), FW_OK);
	assert_int_equal(fw_tlog_vkey_parse(vk, strlen(vk), &k), FW_OK);
	struct fw_tlog_policy pol = {.log_key = &k};
	assert_int_equal(fw_tlog_receipt_verify(fw_buf_str(&rc), rc.len, cp[0].leaf_hash, &pol, NULL, NULL), FW_OK);
	fw_buf_cleanup(&rc);
	fw_buf_cleanup(&got);
	fw_buf_cleanup(&e[0]);
	fw_buf_cleanup(&e[1]);
	fw_tlog_log_free(l);
}

#define ON(setup_fn, name) cmocka_unit_test_setup_teardown(name, setup_fn, teardown)

int main(void)
{
	assert_int_equal(fw_crypto_init(), FW_OK);
	const struct CMUnitTest sqlite_tests[] = {
		ON(setup_sqlite, test_integrate_and_prove),
		ON(setup_sqlite, test_two_nodes_and_restart),
		ON(setup_sqlite, test_delivery_entry),
		ON(setup_sqlite, test_delivery_batch),
	};
	const struct CMUnitTest pg_tests[] = {
		ON(setup_pg, test_integrate_and_prove),
		ON(setup_pg, test_two_nodes_and_restart),
		ON(setup_pg, test_delivery_batch),
	};
	int failed = cmocka_run_group_tests_name("log on SQLite", sqlite_tests, NULL, NULL);
	const char *pg = fw_test_pg_url();
	if (pg) {
		snprintf(pg_url, sizeof pg_url, "%s", pg);
		failed += cmocka_run_group_tests_name("log on PostgreSQL", pg_tests, NULL, NULL);
	} else {
		printf("[  SKIPPED ] log on PostgreSQL: set FW_TEST_PG_URL (scripts/pg-test-cluster.sh start)\n");
	}
	return failed;
}
