/* Member-signed receipts (docs/log.md, "Acknowledgements"): the statement
 * and the receipt entry formats (src/tlog/log_entry.c), and the store's
 * acknowledgements (sqlite_ack.c, pg_ack.c) with their log entry written in
 * the same transaction - on SQLite and, when FW_TEST_PG_URL (or a
 * postgresql:// FW_TEST_DB) names a server, once more on PostgreSQL, each
 * test in a schema of its own. */
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
#include "store/store.h"
#include "tlog/tlog.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char pg_url[512];

static struct fw_tlog_ack_subject subject(void)
{
	struct fw_tlog_ack_subject s = {.origin = "forewarn.local/log",
					.delivery_id = 12,
					.member_id = "acme",
					.advisory_id = "sp-rce",
					.kind = "poc",
					.version = 2,
					.sealed_sha256 = HEX_A,
					.plain_sha256 = HEX_B,
					.delivery_index = 7};
	return s;
}

/* --- formats -------------------------------------------------------------- */
static void test_statement_format(void **state)
{
	(void)state;
	char out[FW_TLOG_ACK_STATEMENT_BYTES];
	struct fw_tlog_ack_subject s = subject();
	assert_int_equal(fw_tlog_ack_statement(&s, out), FW_OK);
	assert_string_equal(out, "forewarn/ack/v1\n"
				 "log forewarn.local/log\n"
				 "delivery 12\n"
				 "member acme\n"
				 "advisory sp-rce\n"
				 "kind poc\n"
				 "version 2\n"
				 "sealed-sha256 " HEX_A "\n"
				 "plain-sha256 " HEX_B "\n"
				 "log-index 7\n");
	/* Every field changes the text: a statement binds exactly one copy in
	 * one log position of one log. */
	char other[FW_TLOG_ACK_STATEMENT_BYTES];
	struct fw_tlog_ack_subject t = subject();
	t.origin = "other.example/log";
	assert_int_equal(fw_tlog_ack_statement(&t, other), FW_OK);
	assert_string_not_equal(out, other);
	t = subject();
	t.delivery_index = 8;
	assert_int_equal(fw_tlog_ack_statement(&t, other), FW_OK);
	assert_string_not_equal(out, other);

	/* Nothing that would let one field pass for another, or add a line. */
	const char *bad_words[] = {"", "a b", "a\nlog-index 9", "a\r", "a\t"};
	for (size_t i = 0; i < sizeof bad_words / sizeof bad_words[0]; i++) {
		t = subject();
		t.member_id = bad_words[i];
		assert_int_equal(fw_tlog_ack_statement(&t, other), FW_ERR_INVALID);
		t = subject();
		t.origin = bad_words[i];
		assert_int_equal(fw_tlog_ack_statement(&t, other), FW_ERR_INVALID);
	}
	t = subject();
	t.sealed_sha256 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"; /* upper case */
	assert_int_equal(fw_tlog_ack_statement(&t, other), FW_ERR_INVALID);
	t = subject();
	t.plain_sha256 = HEX_B "00";
	assert_int_equal(fw_tlog_ack_statement(&t, other), FW_ERR_INVALID);
	t = subject();
	t.version = 0;
	assert_int_equal(fw_tlog_ack_statement(&t, other), FW_ERR_INVALID);
	t = subject();
	t.delivery_id = 0;
	assert_int_equal(fw_tlog_ack_statement(&t, other), FW_ERR_INVALID);
	t = subject();
	t.delivery_index = (uint64_t)INT64_MAX + 1;
	assert_int_equal(fw_tlog_ack_statement(&t, other), FW_ERR_INVALID);
	fw_err_clear();
}

static void test_receipt_entry_format(void **state)
{
	(void)state;
	uint8_t master[32], sig_hash[32], nonce[32], h[32];
	char statement[FW_TLOG_ACK_STATEMENT_BYTES], opening[FW_TLOG_OPENING_BYTES], want[FW_TLOG_OPENING_BYTES];
	char hex[65], nonce_hex[65], sig_hex[65], entry_want[512];
	struct fw_tlog_ack_subject s = subject();
	memset(master, 7, sizeof master);
	memset(sig_hash, 0xab, sizeof sig_hash);
	assert_int_equal(fw_tlog_ack_statement(&s, statement), FW_OK);

	/* The opening, with the nonce derived as documented. */
	assert_int_equal(fw_tlog_receipt_opening(master, "acme", 12, statement, strlen(statement), opening), FW_OK);
	assert_int_equal(fw_crypto_prf(master, "forewarn/log/receipt-nonce/v1", "acme\n12", 7, nonce, sizeof nonce),
			 FW_OK);
	fw_crypto_hex(nonce, 32, nonce_hex);
	fw_crypto_sha256(statement, strlen(statement), h);
	fw_crypto_hex(h, 32, hex);
	snprintf(want, sizeof want, "forewarn/log/receipt/v1\nmember acme\ndelivery 12\nstatement-sha256 %s\nnonce %s\n",
		 hex, nonce_hex);
	assert_string_equal(opening, want);

	/* The entry: canonical JSON, keys sorted, the commitment opens to the
	 * opening, and nothing names the member, the advisory or the kind. */
	struct fw_buf e;
	fw_buf_init(&e, FW_TLOG_ENTRY_MAX);
	assert_int_equal(fw_tlog_entry_receipt(master, "acme", 12, statement, strlen(statement), 7, sig_hash,
					       1751990400, &e),
			 FW_OK);
	fw_crypto_sha256(opening, strlen(opening), h);
	fw_crypto_hex(h, 32, hex);
	fw_crypto_hex(sig_hash, 32, sig_hex);
	snprintf(entry_want, sizeof entry_want,
		 "{\"commitment\":\"%s\",\"delivery_index\":7,\"signature_sha256\":\"%s\",\"time\":1751990400,"
		 "\"type\":\"receipt\",\"v\":1}",
		 hex, sig_hex);
	assert_string_equal(fw_buf_str(&e), entry_want);
	assert_null(strstr(fw_buf_str(&e), "acme"));
	assert_null(strstr(fw_buf_str(&e), "sp-rce"));
	assert_null(strstr(fw_buf_str(&e), "poc"));

	/* Another member's receipt of the same statement commits differently. */
	struct fw_buf e2;
	fw_buf_init(&e2, FW_TLOG_ENTRY_MAX);
	assert_int_equal(fw_tlog_entry_receipt(master, "other", 12, statement, strlen(statement), 7, sig_hash,
					       1751990400, &e2),
			 FW_OK);
	assert_string_not_equal(fw_buf_str(&e), fw_buf_str(&e2));
	/* Bad input makes no entry. */
	assert_int_equal(fw_tlog_entry_receipt(master, "a b", 12, statement, strlen(statement), 7, sig_hash, 1, &e2),
			 FW_ERR_INVALID);
	assert_int_equal(fw_tlog_entry_receipt(master, "acme", 0, statement, strlen(statement), 7, sig_hash, 1, &e2),
			 FW_ERR_INVALID);
	assert_int_equal(fw_tlog_entry_receipt(master, "acme", 12, statement, 0, 7, sig_hash, 1, &e2), FW_ERR_INVALID);
	fw_err_clear();
	fw_buf_cleanup(&e);
	fw_buf_cleanup(&e2);
}

/* --- the store, on each backend ------------------------------------------- */
struct ctx {
	struct fw_test_db db;
	struct fw_store *s;
	uint8_t master[32];
	int64_t delivery, other; /* a delivery of m1 and one of m2 */
	uint64_t delivery_index;
};

static void add_member(struct fw_store *s, const char *id)
{
	struct fw_member m;
	memset(&m, 0, sizeof m);
	snprintf(m.id, sizeof m.id, "%s", id);
	snprintf(m.name, sizeof m.name, "M");
	snprintf(m.tier, sizeof m.tier, "gold");
	snprintf(m.jurisdiction, sizeof m.jurisdiction, "DE");
	snprintf(m.age_recipient, sizeof m.age_recipient, "age1qqqq");
	assert_int_equal(fw_store_member_create(s, &m), FW_OK);
}

/* A delivery with its log entry, as the release step stores it. */
static int64_t add_delivery(struct ctx *c, const char *member, uint64_t *index)
{
	struct fw_store_copy cp;
	struct fw_buf e;
	memset(&cp, 0, sizeof cp);
	snprintf(cp.d.member_id, sizeof cp.d.member_id, "%s", member);
	snprintf(cp.d.advisory_id, sizeof cp.d.advisory_id, "adv");
	cp.d.kind = FW_KIND_POC;
	cp.d.version = 1;
	cp.d.created_at = 1751990000;
	memset(cp.d.sha256_sealed, 1, 32);
	memset(cp.d.sha256_plain, 2, 32);
	cp.sealed = (const uint8_t *)"sealed";
	cp.n = 6;
	fw_buf_init(&e, FW_TLOG_ENTRY_MAX);
	assert_int_equal(fw_tlog_entry_delivery(c->master, &cp.d, &e), FW_OK);
	cp.entry = e.data;
	cp.entry_len = e.len;
	fw_tlog_leaf_hash(e.data, e.len, cp.leaf_hash);
	assert_int_equal(fw_store_delivery_insert_many(c->s, &cp, 1), FW_OK);
	assert_true(cp.inserted);
	if (index)
		*index = cp.log_index;
	fw_buf_cleanup(&e);
	return cp.d.id;
}

static int open_ctx(void **state, bool pg)
{
	struct ctx *c = calloc(1, sizeof *c);
	if (!c)
		return -1;
	if (!fw_test_db_new(&c->db, pg ? pg_url : NULL, "fwack"))
		return -1;
	if (fw_store_open(c->db.url, &c->s) != FW_OK) {
		fprintf(stderr, "cannot open %s: %s\n", c->db.url, fw_err_detail());
		return -1;
	}
	memset(c->master, 7, sizeof c->master);
	add_member(c->s, "m1");
	add_member(c->s, "m2");
	struct fw_advisory a;
	struct fw_artifact art;
	memset(&a, 0, sizeof a);
	snprintf(a.id, sizeof a.id, "adv");
	snprintf(a.title, sizeof a.title, "t");
	assert_int_equal(fw_store_advisory_create(c->s, &a), FW_OK);
	memset(&art, 0, sizeof art);
	snprintf(art.advisory_id, sizeof art.advisory_id, "adv");
	art.kind = FW_KIND_POC;
	snprintf(art.media_type, sizeof art.media_type, "text/plain");
	assert_int_equal(fw_store_artifact_add(c->s, &art, (const uint8_t *)"x", 1), FW_OK);
	c->delivery = add_delivery(c, "m1", &c->delivery_index);
	c->other = add_delivery(c, "m2", NULL);
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

/* The hook the API installs: the receipt entry of one acknowledgement. */
struct hook_ctx {
	const uint8_t *master;
	const struct fw_store_ack *a;
	const char *statement;
	uint64_t delivery_index;
	uint8_t sig_hash[32];
	bool fail;             /* make() fails: nothing may be stored */
	struct fw_buf made;    /* the entry made */
};

static enum fw_err make(void *ctx, struct fw_buf *entry, uint8_t leaf[32])
{
	struct hook_ctx *h = ctx;
	if (h->fail)
		return fw_err_set(FW_ERR_INTERNAL, "the test's hook fails");
	enum fw_err r = fw_tlog_entry_receipt(h->master, h->a->member_id, h->a->delivery_id, h->statement,
					      strlen(h->statement), h->delivery_index, h->sig_hash, h->a->acked_at, entry);
	if (r == FW_OK) {
		fw_tlog_leaf_hash(entry->data, entry->len, leaf);
		fw_buf_reset(&h->made);
		r = fw_buf_append(&h->made, entry->data, entry->len);
	}
	return r;
}

static void ack_init(struct fw_store_ack *a, int64_t delivery, const char *member, int64_t at)
{
	memset(a, 0, sizeof *a);
	a->delivery_id = delivery;
	snprintf(a->member_id, sizeof a->member_id, "%s", member);
	snprintf(a->public_key, sizeof a->public_key, "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3");
	a->acked_at = at;
}

static uint64_t sequenced(struct ctx *c)
{
	struct fw_store_log_state st;
	assert_int_equal(fw_store_log_state(c->s, &st), FW_OK);
	return st.sequenced;
}

static enum fw_err copy_entry(void *ctx, uint64_t index, const uint8_t *entry, size_t n)
{
	(void)index;
	return fw_buf_append(ctx, entry, n);
}

static const char sig1[] = "untrusted comment: one\nRUQ...\ntrusted comment: t\nAAAA\n";
static const char sig2[] = "untrusted comment: two\nRUQ...\ntrusted comment: t\nBBBB\n";

static void test_ack_add_get(void **state)
{
	struct ctx *c = *state;
	struct fw_store_ack a, got;
	struct fw_buf st, sig, entry;
	bool added = false;
	const char *statement = "forewarn/ack/v1\nthe statement\n";
	struct hook_ctx h = {.master = c->master, .a = &a, .statement = statement, .delivery_index = c->delivery_index};
	struct fw_store_log_hook hook = {.make = make, .ctx = &h};
	fw_buf_init(&h.made, FW_TLOG_ENTRY_MAX);
	fw_buf_init(&st, FW_STORE_ACK_STATEMENT_MAX);
	fw_buf_init(&sig, FW_STORE_ACK_SIGNATURE_MAX);
	fw_buf_init(&entry, FW_TLOG_ENTRY_MAX);

	/* Not acknowledged yet. */
	int64_t ids[3] = {c->other, c->delivery, 999999}, at[3] = {-1, -1, -1};
	assert_int_equal(fw_store_ack_get(c->s, c->delivery, &got, NULL, NULL), FW_ERR_NOT_FOUND);
	assert_int_equal(fw_store_ack_times(c->s, ids, 3, at), FW_OK);
	assert_true(at[0] == 0 && at[1] == 0 && at[2] == 0);

	/* The acknowledgement and its entry, at the next index. */
	uint64_t before = sequenced(c);
	ack_init(&a, c->delivery, "m1", 1751990400);
	assert_int_equal(fw_store_ack_add(c->s, &a, statement, strlen(statement), sig1, strlen(sig1), &hook, &added),
			 FW_OK);
	assert_true(added);
	assert_true(hook.written);
	assert_int_equal(hook.index, before);
	assert_true(a.logged);
	assert_int_equal(a.log_index, before);
	assert_int_equal(sequenced(c), before + 1);
	assert_int_equal(fw_store_log_entries(c->s, a.log_index, 1, copy_entry, &entry), FW_OK);
	assert_int_equal(entry.len, h.made.len);
	assert_memory_equal(entry.data, h.made.data, entry.len);
	assert_non_null(strstr(fw_buf_str(&entry), "\"type\":\"receipt\""));

	/* Read back byte for byte. */
	assert_int_equal(fw_store_ack_get(c->s, c->delivery, &got, &st, &sig), FW_OK);
	assert_int_equal(got.delivery_id, c->delivery);
	assert_string_equal(got.member_id, "m1");
	assert_int_equal(got.acked_at, 1751990400);
	assert_string_equal(got.public_key, a.public_key);
	assert_true(got.logged);
	assert_int_equal(got.log_index, before);
	assert_string_equal(fw_buf_str(&st), statement);
	assert_string_equal(fw_buf_str(&sig), sig1);
	assert_int_equal(fw_store_ack_times(c->s, ids, 3, at), FW_OK);
	assert_true(at[0] == 0 && at[1] == 1751990400 && at[2] == 0);

	/* A replay: nothing new, the first one's index and time. */
	struct fw_store_ack again;
	ack_init(&again, c->delivery, "m1", 1751999999);
	struct fw_store_log_hook hook2 = {.make = make, .ctx = &h};
	h.a = &again;
	assert_int_equal(fw_store_ack_add(c->s, &again, statement, strlen(statement), sig1, strlen(sig1), &hook2, &added),
			 FW_OK);
	assert_false(added);
	assert_false(hook2.written);
	assert_int_equal(hook2.index, before);
	assert_int_equal(again.acked_at, 1751990400);
	assert_int_equal(sequenced(c), before + 1);

	/* Another signature of an acknowledged delivery: refused, nothing written. */
	ack_init(&again, c->delivery, "m1", 1751999999);
	struct fw_store_log_hook hook3 = {.make = make, .ctx = &h};
	assert_int_equal(fw_store_ack_add(c->s, &again, statement, strlen(statement), sig2, strlen(sig2), &hook3, &added),
			 FW_ERR_EXISTS);
	assert_false(hook3.written);
	assert_int_equal(sequenced(c), before + 1);
	assert_int_equal(fw_store_ack_get(c->s, c->delivery, &got, NULL, &sig), FW_OK);
	assert_string_equal(fw_buf_str(&sig), sig1);

	/* Limits checked alike on every backend. */
	assert_int_equal(fw_store_ack_add(c->s, &again, statement, 0, sig2, strlen(sig2), NULL, &added), FW_ERR_INVALID);
	assert_int_equal(fw_store_ack_add(c->s, &again, statement, strlen(statement), sig2, FW_STORE_ACK_SIGNATURE_MAX + 1,
					  NULL, &added),
			 FW_ERR_INVALID);
	assert_int_equal(fw_store_ack_add(c->s, &again, "a\0b", 3, sig2, strlen(sig2), NULL, &added), FW_ERR_INVALID);
	fw_err_clear();
	fw_buf_cleanup(&h.made);
	fw_buf_cleanup(&st);
	fw_buf_cleanup(&sig);
	fw_buf_cleanup(&entry);
}

/* The entry cannot be made: neither it nor the acknowledgement is stored. */
static void test_ack_all_or_nothing(void **state)
{
	struct ctx *c = *state;
	struct fw_store_ack a, got;
	bool added = true;
	const char *statement = "forewarn/ack/v1\nx\n";
	struct hook_ctx h = {.master = c->master, .a = &a, .statement = statement, .fail = true};
	struct fw_store_log_hook hook = {.make = make, .ctx = &h};
	fw_buf_init(&h.made, FW_TLOG_ENTRY_MAX);
	uint64_t before = sequenced(c);
	ack_init(&a, c->delivery, "m1", 1751990400);
	assert_int_equal(fw_store_ack_add(c->s, &a, statement, strlen(statement), sig1, strlen(sig1), &hook, &added),
			 FW_ERR_INTERNAL);
	assert_false(hook.written);
	assert_int_equal(sequenced(c), before);
	assert_int_equal(fw_store_ack_get(c->s, c->delivery, &got, NULL, NULL), FW_ERR_NOT_FOUND);

	/* An unknown delivery stores nothing either. */
	h.fail = false;
	ack_init(&a, 987654, "m1", 1751990400);
	struct fw_store_log_hook hook2 = {.make = make, .ctx = &h};
	assert_int_not_equal(fw_store_ack_add(c->s, &a, statement, strlen(statement), sig1, strlen(sig1), &hook2, &added),
			     FW_OK);
	assert_int_equal(sequenced(c), before);

	/* Now it works, and without a hook no entry is written. */
	ack_init(&a, c->other, "m2", 1751990500);
	assert_int_equal(fw_store_ack_add(c->s, &a, statement, strlen(statement), sig1, strlen(sig1), NULL, &added),
			 FW_OK);
	assert_true(added);
	assert_false(a.logged);
	assert_int_equal(sequenced(c), before);
	assert_int_equal(fw_store_ack_get(c->s, c->other, &got, NULL, NULL), FW_OK);
	assert_false(got.logged);
	fw_err_clear();
	fw_buf_cleanup(&h.made);
}

/* Two acknowledgements of one delivery at once, with different signatures:
 * exactly one is stored, with exactly one entry. */
struct racer {
	struct ctx *c;
	const char *sig;
	enum fw_err r;
	bool added;
};

static void *race(void *arg)
{
	struct racer *x = arg;
	struct fw_store_ack a;
	const char *statement = "forewarn/ack/v1\nrace\n";
	struct hook_ctx h = {.master = x->c->master, .a = &a, .statement = statement};
	struct fw_store_log_hook hook = {.make = make, .ctx = &h};
	fw_buf_init(&h.made, FW_TLOG_ENTRY_MAX);
	ack_init(&a, x->c->delivery, "m1", 1751990400);
	x->r = fw_store_ack_add(x->c->s, &a, statement, strlen(statement), x->sig, strlen(x->sig), &hook, &x->added);
	fw_buf_cleanup(&h.made);
	return NULL;
}

static void test_ack_race(void **state)
{
	struct ctx *c = *state;
	uint64_t before = sequenced(c);
	for (int round = 0; round < 3; round++) {
		struct racer x[2] = {{c, sig1, FW_OK, false}, {c, sig2, FW_OK, false}};
		pthread_t t[2];
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&t[i], NULL, race, &x[i]), 0);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		int ok = 0;
		for (int i = 0; i < 2; i++) {
			if (round == 0)
				ok += x[i].r == FW_OK && x[i].added;
			else /* afterwards: one is a replay, the other a conflict */
				ok += x[i].r == FW_OK && !x[i].added;
			assert_true(x[i].r == FW_OK || x[i].r == FW_ERR_EXISTS);
		}
		assert_int_equal(ok, 1);
		assert_int_equal(sequenced(c), before + 1);
	}
	fw_err_clear();
}

#define ON(setup_fn, name) cmocka_unit_test_setup_teardown(name, setup_fn, teardown)

int main(void)
{
	assert_int_equal(fw_crypto_init(), FW_OK);
	const struct CMUnitTest format_tests[] = {
		cmocka_unit_test(test_statement_format),
		cmocka_unit_test(test_receipt_entry_format),
	};
	const struct CMUnitTest sqlite_tests[] = {
		ON(setup_sqlite, test_ack_add_get),
		ON(setup_sqlite, test_ack_all_or_nothing),
		ON(setup_sqlite, test_ack_race),
	};
	const struct CMUnitTest pg_tests[] = {
		ON(setup_pg, test_ack_add_get),
		ON(setup_pg, test_ack_all_or_nothing),
		ON(setup_pg, test_ack_race),
	};
	int failed = cmocka_run_group_tests_name("acknowledgement formats", format_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("acknowledgements on SQLite", sqlite_tests, NULL, NULL);
	const char *pg = fw_test_pg_url();
	if (pg) {
		snprintf(pg_url, sizeof pg_url, "%s", pg);
		failed += cmocka_run_group_tests_name("acknowledgements on PostgreSQL", pg_tests, NULL, NULL);
	} else {
		printf("[  SKIPPED ] acknowledgements on PostgreSQL: set FW_TEST_PG_URL (scripts/pg-test-cluster.sh start)\n");
	}
	return failed;
}
