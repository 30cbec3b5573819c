/* Witness cosignatures of the log's checkpoints (docs/log.md, "Witness
 * cosignatures"): the pure checks a server runs on a submission
 * (fw_tlog_cosigs_check), witness key files, the store's cosignature table
 * and the log service serving the stored lines with the checkpoint they
 * cosign - on SQLite and, when FW_TEST_PG_URL (or a postgresql://
 * FW_TEST_DB) names a server, once more on PostgreSQL.
 *
 * What a user relies on: a line by a key that is not a configured witness,
 * a line over another checkpoint and a malformed line are refused; the
 * first cosignature of a key for a checkpoint is kept; the served note
 * carries exactly the cosignatures of its own size by the witnesses
 * configured now, so a verifier's quorum counts them. */
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

/* Keys from fixed seeds: the log's and three witnesses'. */
static void key_of(const char *what, struct fw_sign_key *k)
{
	uint8_t seed[32];
	fw_crypto_sha256(what, strlen(what), seed);
	fw_crypto_ed25519_from_seed(seed, k);
}

static void witness(const char *name, struct fw_sign_key *k, struct fw_tlog_vkey *vk)
{
	key_of(name, k);
	assert_int_equal(fw_tlog_vkey_init(vk, name, FW_TLOG_SIG_COSIG_V1, k->pk), FW_OK);
}

static const char cp_text[] = "log.test/w\n5\nfKo0Xb2JKmZFTWxlEuo8PqPw0+whvj/C4jdXBf049nI=\n";
static const char other_text[] = "log.test/w\n6\nfKo0Xb2JKmZFTWxlEuo8PqPw0+whvj/C4jdXBf049nI=\n";

static void cosign(const char *text, const char *name, const struct fw_sign_key *k, uint64_t t, struct fw_buf *out)
{
	assert_int_equal(fw_tlog_cosign(text, strlen(text), name, k, t, out), FW_OK);
}

/* --- the pure checks ------------------------------------------------------ */
static void test_cosigs_check(void **state)
{
	(void)state;
	struct fw_sign_key k1, k2, k3, lk;
	struct fw_tlog_vkey w[3];
	struct fw_tlog_cosig got[FW_TLOG_COSIG_LINES_MAX];
	struct fw_buf b;
	size_t n = 99;
	witness("w1.test/a", &k1, &w[0]);
	witness("w2.test/b", &k2, &w[1]);
	witness("w3.test/c", &k3, &w[2]);
	key_of("log", &lk);
	fw_buf_init(&b, 65536);

	/* Two witnesses' lines, the last without its newline. */
	cosign(cp_text, "w2.test/b", &k2, 1700000002, &b);
	cosign(cp_text, "w1.test/a", &k1, 1700000001, &b);
	assert_int_equal(fw_tlog_cosigs_check(cp_text, strlen(cp_text), (const char *)b.data, b.len - 1, w, 2, got,
					      FW_TLOG_COSIG_LINES_MAX, &n),
			 FW_OK);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].key, 1);
	assert_int_equal(got[0].time, 1700000002);
	assert_int_equal(got[1].key, 0);
	assert_int_equal(got[1].time, 1700000001);
	assert_true(got[1].line_len > 0 && got[1].line[got[1].line_len - 1] != '\n');

	/* A witness the server does not know (w3 is not among the first two). */
	fw_buf_reset(&b);
	cosign(cp_text, "w3.test/c", &k3, 1700000003, &b);
	assert_int_equal(fw_tlog_cosigs_check(cp_text, strlen(cp_text), (const char *)b.data, b.len, w, 2, got,
					      FW_TLOG_COSIG_LINES_MAX, &n),
			 FW_ERR_NOT_FOUND);
	assert_non_null(strstr(fw_err_detail(), "w3.test/c"));
	/* The right name with another key is not that witness either. */
	fw_buf_reset(&b);
	cosign(cp_text, "w1.test/a", &k3, 1700000003, &b);
	assert_int_equal(fw_tlog_cosigs_check(cp_text, strlen(cp_text), (const char *)b.data, b.len, w, 2, got,
					      FW_TLOG_COSIG_LINES_MAX, &n),
			 FW_ERR_NOT_FOUND);
	/* A note signature (type 0x01) of a witness's name is no cosignature. */
	struct fw_tlog_vkey as_log;
	assert_int_equal(fw_tlog_vkey_init(&as_log, "w1.test/a", FW_TLOG_SIG_ED25519, k1.pk), FW_OK);
	assert_int_equal(fw_tlog_cosigs_check(cp_text, strlen(cp_text), (const char *)b.data, b.len, &as_log, 1, got,
					      FW_TLOG_COSIG_LINES_MAX, &n),
			 FW_ERR_NOT_FOUND);

	/* A witness's line over another checkpoint (a tampered size). */
	fw_buf_reset(&b);
	cosign(other_text, "w1.test/a", &k1, 1700000001, &b);
	assert_int_equal(fw_tlog_cosigs_check(cp_text, strlen(cp_text), (const char *)b.data, b.len, w, 3, got,
					      FW_TLOG_COSIG_LINES_MAX, &n),
			 FW_ERR_CRYPTO);
	/* One good line and one bad: all or nothing. */
	fw_buf_reset(&b);
	cosign(cp_text, "w2.test/b", &k2, 1700000002, &b);
	cosign(other_text, "w1.test/a", &k1, 1700000001, &b);
	assert_int_equal(fw_tlog_cosigs_check(cp_text, strlen(cp_text), (const char *)b.data, b.len, w, 3, got,
					      FW_TLOG_COSIG_LINES_MAX, &n),
			 FW_ERR_CRYPTO);
	assert_non_null(strstr(fw_err_detail(), "line 2"));

	/* The same witness twice. */
	fw_buf_reset(&b);
	cosign(cp_text, "w1.test/a", &k1, 1700000001, &b);
	cosign(cp_text, "w1.test/a", &k1, 1700000009, &b);
	assert_int_equal(fw_tlog_cosigs_check(cp_text, strlen(cp_text), (const char *)b.data, b.len, w, 3, got,
					      FW_TLOG_COSIG_LINES_MAX, &n),
			 FW_ERR_INVALID);

	/* Malformed: empty, a blank line, CR LF, not a signature line, a
	 * flipped signature bit, more lines than allowed. */
	const char *bad[] = {"", "\n", "hello\n", "\xe2\x80\x94 w1.test/a !!!!\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(fw_tlog_cosigs_check(cp_text, strlen(cp_text), bad[i], strlen(bad[i]), w, 3, got,
						      FW_TLOG_COSIG_LINES_MAX, &n),
				 FW_ERR_INVALID);
	fw_buf_reset(&b);
	cosign(cp_text, "w1.test/a", &k1, 1700000001, &b);
	b.data[b.len - 1] = '\r';
	assert_int_equal(fw_tlog_cosigs_check(cp_text, strlen(cp_text), (const char *)b.data, b.len, w, 3, got,
					      FW_TLOG_COSIG_LINES_MAX, &n),
			 FW_ERR_INVALID);
	fw_buf_reset(&b);
	cosign(cp_text, "w1.test/a", &k1, 1700000001, &b);
	b.data[b.len - 3] = b.data[b.len - 3] == 'A' ? 'B' : 'A';
	assert_int_not_equal(fw_tlog_cosigs_check(cp_text, strlen(cp_text), (const char *)b.data, b.len, w, 3, got,
						  FW_TLOG_COSIG_LINES_MAX, &n),
			     FW_OK);
	fw_buf_reset(&b);
	cosign(cp_text, "w1.test/a", &k1, 1700000001, &b);
	cosign(cp_text, "w2.test/b", &k2, 1700000002, &b);
	n = 99;
	assert_int_equal(fw_tlog_cosigs_check(cp_text, strlen(cp_text), (const char *)b.data, b.len, w, 3, got, 1, &n),
			 FW_ERR_TOO_LARGE);
	assert_int_equal(n, 99); /* untouched on failure */
	fw_buf_cleanup(&b);
}

static void test_skey(void **state)
{
	(void)state;
	uint8_t seed[32];
	char sk[FW_TLOG_SKEY_BYTES], vk[FW_TLOG_VKEY_BYTES];
	struct fw_sign_key k, ref;
	struct fw_tlog_vkey v;
	memset(seed, 0x42, sizeof seed);
	fw_crypto_ed25519_from_seed(seed, &ref);
	assert_int_equal(fw_tlog_skey_format("witness.example/w1", FW_TLOG_SIG_COSIG_V1, seed, sk), FW_OK);
	assert_int_equal(strncmp(sk, "PRIVATE+KEY+witness.example/w1+", 31), 0);
	assert_int_equal(fw_tlog_skey_parse(sk, strlen(sk), &k, &v), FW_OK);
	assert_memory_equal(k.pk, ref.pk, 32);
	assert_memory_equal(k.sk, ref.sk, 64);
	assert_int_equal(v.type, FW_TLOG_SIG_COSIG_V1);
	assert_string_equal(v.name, "witness.example/w1");
	/* The verifier key names the same key: its ID is in the key file. */
	assert_int_equal(fw_tlog_vkey_format(&v, vk), FW_OK);
	assert_int_equal(strncmp(sk + 12, vk, 28), 0);
	char nl[FW_TLOG_SKEY_BYTES + 1];
	snprintf(nl, sizeof nl, "%s\n", sk);
	assert_int_equal(fw_tlog_skey_parse(nl, strlen(nl), &k, &v), FW_OK);
	/* A wrong key ID, a verifier key, or garbage are refused. */
	char bad[FW_TLOG_SKEY_BYTES];
	snprintf(bad, sizeof bad, "%s", sk);
	char *id = bad + strlen("PRIVATE+KEY+witness.example/w1+");
	id[0] = id[0] == '0' ? '1' : '0';
	assert_int_equal(fw_tlog_skey_parse(bad, strlen(bad), &k, &v), FW_ERR_INVALID);
	assert_int_not_equal(fw_tlog_skey_parse(vk, strlen(vk), &k, &v), FW_OK);
	assert_int_not_equal(fw_tlog_skey_parse("PRIVATE+KEY+", 12, &k, &v), FW_OK);
	assert_int_equal(fw_tlog_skey_format("bad name", FW_TLOG_SIG_COSIG_V1, seed, sk), FW_ERR_INVALID);
}

/* --- the store and the log service, on both backends ---------------------- */
struct ctx {
	struct fw_test_db db;
	struct fw_store *s;
	struct fw_sign_key key;
};

static int open_ctx(void **state, bool pg)
{
	struct ctx *c = calloc(1, sizeof *c);
	if (!c)
		return -1;
	if (!fw_test_db_new(&c->db, pg ? pg_url : NULL, "fwwit"))
		return -1;
	if (fw_store_open(c->db.url, &c->s) != FW_OK) {
		fprintf(stderr, "cannot open %s: %s\n", c->db.url, fw_err_detail());
		return -1;
	}
	key_of("forewarn example log key", &c->key);
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

/* A log with checkpoints of sizes 0 … n (one integration per entry). */
static struct fw_tlog_log *log_of(struct ctx *c, unsigned n)
{
	struct fw_tlog_log *l = NULL;
	struct fw_tlog_log_config cfg = {.store = c->s, .key = &c->key, .origin = "log.test/w"};
	uint64_t size = 0;
	assert_int_equal(fw_tlog_log_open(&cfg, &l), FW_OK);
	assert_int_equal(fw_tlog_log_integrate(l, &size), FW_OK);
	for (unsigned i = 0; i < n; i++) {
		char e[64];
		uint64_t idx = 0;
		int k = snprintf(e, sizeof e, "{\"n\":%u,\"type\":\"test\",\"v\":1}", i);
		assert_int_equal(fw_tlog_log_append(l, (const uint8_t *)e, (size_t)k, &idx), FW_OK);
		assert_int_equal(fw_tlog_log_integrate(l, &size), FW_OK);
		assert_int_equal(size, i + 1);
	}
	return l;
}

/* The text (what a witness signs) of the log's checkpoint of size. */
static size_t text_of(struct fw_tlog_log *l, uint64_t size, struct fw_buf *note)
{
	char vk[FW_TLOG_VKEY_BYTES];
	struct fw_tlog_vkey k;
	struct fw_tlog_note_info info;
	fw_buf_reset(note);
	assert_int_equal(fw_tlog_log_checkpoint(l, false, size, note, NULL), FW_OK);
	assert_int_equal(fw_tlog_log_vkey(l, vk), FW_OK);
	assert_int_equal(fw_tlog_vkey_parse(vk, strlen(vk), &k), FW_OK);
	assert_int_equal(fw_tlog_note_verify(fw_buf_str(note), note->len, &k, 1, &info), FW_OK);
	return info.text_len;
}

static struct fw_store_cosig record(uint64_t size, const struct fw_tlog_vkey *w, uint64_t t, const char *line)
{
	struct fw_store_cosig r;
	memset(&r, 0, sizeof r);
	r.size = size;
	snprintf(r.witness, sizeof r.witness, "%s", w->name);
	r.key_id = w->id;
	r.time = t;
	snprintf(r.line, sizeof r.line, "%s", line);
	r.created_at = 1700000000;
	return r;
}

static void test_store_cosigs(void **state)
{
	struct ctx *c = *state;
	struct fw_sign_key k1, k2;
	struct fw_tlog_vkey w1, w2;
	struct fw_buf note, line1, line1b, line2;
	struct fw_store_cosig *got = NULL;
	size_t n = 0;
	bool added = false;
	witness("w1.test/a", &k1, &w1);
	witness("w2.test/b", &k2, &w2);
	struct fw_tlog_log *l = log_of(c, 2);
	fw_buf_init(&note, FW_TLOG_NOTE_MAX);
	fw_buf_init(&line1, 1024);
	fw_buf_init(&line1b, 1024);
	fw_buf_init(&line2, 1024);
	size_t tl = text_of(l, 1, &note);
	assert_int_equal(fw_tlog_cosign(fw_buf_str(&note), tl, w2.name, &k2, 20, &line2), FW_OK);
	assert_int_equal(fw_tlog_cosign(fw_buf_str(&note), tl, w1.name, &k1, 10, &line1), FW_OK);
	assert_int_equal(fw_tlog_cosign(fw_buf_str(&note), tl, w1.name, &k1, 11, &line1b), FW_OK);

	/* Stored in any order, listed by witness name. */
	struct fw_store_cosig r2 = record(1, &w2, 20, fw_buf_str(&line2));
	struct fw_store_cosig r1 = record(1, &w1, 10, fw_buf_str(&line1));
	assert_int_equal(fw_store_log_cosig_add(c->s, &r2, &added), FW_OK);
	assert_true(added);
	assert_int_equal(fw_store_log_cosig_add(c->s, &r1, &added), FW_OK);
	assert_true(added);
	/* A second cosignature of w1 for size 1 is ignored; the first stays. */
	struct fw_store_cosig r1b = record(1, &w1, 11, fw_buf_str(&line1b));
	assert_int_equal(fw_store_log_cosig_add(c->s, &r1b, &added), FW_OK);
	assert_false(added);
	assert_int_equal(fw_store_log_cosig_list(c->s, 1, &got, &n), FW_OK);
	assert_int_equal(n, 2);
	assert_string_equal(got[0].witness, "w1.test/a");
	assert_int_equal(got[0].key_id, w1.id);
	assert_int_equal(got[0].time, 10);
	assert_string_equal(got[0].line, fw_buf_str(&line1));
	assert_int_equal(got[0].created_at, 1700000000);
	assert_int_equal(got[0].size, 1);
	assert_string_equal(got[1].witness, "w2.test/b");
	assert_string_equal(got[1].line, fw_buf_str(&line2));
	free(got);
	got = NULL;
	/* Other sizes have none; a size the log never signed takes none. */
	assert_int_equal(fw_store_log_cosig_list(c->s, 2, &got, &n), FW_OK);
	assert_int_equal(n, 0);
	assert_null(got);
	struct fw_store_cosig r9 = record(9, &w1, 10, fw_buf_str(&line1));
	assert_int_not_equal(fw_store_log_cosig_add(c->s, &r9, &added), FW_OK);
	/* Records the store refuses outright. */
	struct fw_store_cosig bad = record(1, &w1, 10, "no newline");
	assert_int_equal(fw_store_log_cosig_add(c->s, &bad, &added), FW_ERR_INVALID);
	bad = record(1, &w1, (uint64_t)INT64_MAX + 1, fw_buf_str(&line1));
	assert_int_equal(fw_store_log_cosig_add(c->s, &bad, &added), FW_ERR_INVALID);

	fw_buf_cleanup(&note);
	fw_buf_cleanup(&line1);
	fw_buf_cleanup(&line1b);
	fw_buf_cleanup(&line2);
	fw_tlog_log_free(l);
}

static void test_served(void **state)
{
	struct ctx *c = *state;
	struct fw_sign_key k1, k2, k3;
	struct fw_tlog_vkey w[3];
	struct fw_buf note, line;
	struct fw_tlog_checkpoint cp;
	bool added = false;
	uint64_t size = 0;
	witness("w1.test/a", &k1, &w[0]);
	witness("w2.test/b", &k2, &w[1]);
	witness("w3.test/c", &k3, &w[2]);
	struct fw_tlog_log *l = log_of(c, 3);
	fw_buf_init(&note, FW_TLOG_NOTE_MAX);
	fw_buf_init(&line, 1024);

	/* The log's keys: 0x04 only, none twice, at most the maximum. */
	struct fw_tlog_vkey twice[2] = {w[0], w[0]}, as_log;
	assert_int_equal(fw_tlog_vkey_init(&as_log, "w1.test/a", FW_TLOG_SIG_ED25519, k1.pk), FW_OK);
	assert_int_equal(fw_tlog_log_set_witnesses(l, twice, 2), FW_ERR_INVALID);
	assert_int_equal(fw_tlog_log_set_witnesses(l, &as_log, 1), FW_ERR_INVALID);
	assert_int_equal(fw_tlog_log_set_witnesses(l, w, FW_TLOG_LOG_WITNESSES_MAX + 1), FW_ERR_INVALID);
	assert_int_equal(fw_tlog_log_set_witnesses(l, w, 2), FW_OK); /* w1, w2 */
	size_t nw = 0;
	assert_non_null(fw_tlog_log_witnesses(l, &nw));
	assert_int_equal(nw, 2);

	/* w1 and w3 (no longer a witness) cosign size 2; w2 cosigns size 3. */
	size_t tl = text_of(l, 2, &note);
	fw_buf_reset(&line);
	assert_int_equal(fw_tlog_cosign(fw_buf_str(&note), tl, w[0].name, &k1, 100, &line), FW_OK);
	struct fw_store_cosig r = record(2, &w[0], 100, fw_buf_str(&line));
	assert_int_equal(fw_store_log_cosig_add(c->s, &r, &added), FW_OK);
	fw_buf_reset(&line);
	assert_int_equal(fw_tlog_cosign(fw_buf_str(&note), tl, w[2].name, &k3, 100, &line), FW_OK);
	r = record(2, &w[2], 100, fw_buf_str(&line));
	assert_int_equal(fw_store_log_cosig_add(c->s, &r, &added), FW_OK);
	tl = text_of(l, 3, &note);
	fw_buf_reset(&line);
	assert_int_equal(fw_tlog_cosign(fw_buf_str(&note), tl, w[1].name, &k2, 100, &line), FW_OK);
	r = record(3, &w[1], 100, fw_buf_str(&line));
	assert_int_equal(fw_store_log_cosig_add(c->s, &r, &added), FW_OK);

	char vk[FW_TLOG_VKEY_BYTES];
	struct fw_tlog_vkey lk;
	assert_int_equal(fw_tlog_log_vkey(l, vk), FW_OK);
	assert_int_equal(fw_tlog_vkey_parse(vk, strlen(vk), &lk), FW_OK);
	struct fw_tlog_policy q1 = {.log_key = &lk, .witnesses = w, .n_witnesses = 3, .quorum = 1};
	struct fw_tlog_policy q2 = q1;
	q2.quorum = 2;

	/* Size 2 carries w1's line only (w3's is stored but w3 is no witness now). */
	fw_buf_reset(&note);
	assert_int_equal(fw_tlog_log_checkpoint(l, false, 2, &note, &size), FW_OK);
	assert_int_equal(size, 2);
	assert_non_null(strstr(fw_buf_str(&note), "\xe2\x80\x94 w1.test/a "));
	assert_null(strstr(fw_buf_str(&note), "w2.test/b"));
	assert_null(strstr(fw_buf_str(&note), "w3.test/c"));
	assert_int_equal(fw_tlog_checkpoint_open(fw_buf_str(&note), note.len, &q1, &cp), FW_OK);
	assert_int_equal(cp.size, 2);
	assert_int_equal(fw_tlog_checkpoint_open(fw_buf_str(&note), note.len, &q2, &cp), FW_ERR_CRYPTO);
	/* The log's own line comes first: the note starts as the log signed it. */
	struct fw_buf own;
	fw_buf_init(&own, FW_TLOG_NOTE_MAX);
	assert_int_equal(fw_store_log_checkpoint_get(c->s, false, 2, NULL, &own), FW_OK);
	assert_int_equal(strncmp(fw_buf_str(&note), fw_buf_str(&own), own.len), 0);
	assert_true(note.len > own.len);
	fw_buf_cleanup(&own);

	/* The newest (3) carries w2's only; size 1 none. */
	fw_buf_reset(&note);
	assert_int_equal(fw_tlog_log_checkpoint(l, true, 0, &note, &size), FW_OK);
	assert_int_equal(size, 3);
	assert_non_null(strstr(fw_buf_str(&note), "\xe2\x80\x94 w2.test/b "));
	assert_null(strstr(fw_buf_str(&note), "w1.test/a"));
	assert_int_equal(fw_tlog_checkpoint_open(fw_buf_str(&note), note.len, &q1, &cp), FW_OK);
	fw_buf_reset(&note);
	assert_int_equal(fw_tlog_log_checkpoint(l, false, 1, &note, NULL), FW_OK);
	assert_null(strstr(fw_buf_str(&note), "w1.test/a"));
	assert_int_equal(fw_tlog_checkpoint_open(fw_buf_str(&note), note.len, &q1, &cp), FW_ERR_CRYPTO);

	/* Once w3 is a witness again, its kept line is served too: quorum 2. */
	assert_int_equal(fw_tlog_log_set_witnesses(l, w, 3), FW_OK);
	fw_buf_reset(&note);
	assert_int_equal(fw_tlog_log_checkpoint(l, false, 2, &note, NULL), FW_OK);
	assert_int_equal(fw_tlog_checkpoint_open(fw_buf_str(&note), note.len, &q2, &cp), FW_OK);

	fw_buf_cleanup(&note);
	fw_buf_cleanup(&line);
	fw_tlog_log_free(l);
}

#define ON(setup_fn, name) cmocka_unit_test_setup_teardown(name, setup_fn, teardown)

int main(void)
{
	assert_int_equal(fw_crypto_init(), FW_OK);
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_cosigs_check),
		cmocka_unit_test(test_skey),
	};
	const struct CMUnitTest sqlite_tests[] = {
		ON(setup_sqlite, test_store_cosigs),
		ON(setup_sqlite, test_served),
	};
	const struct CMUnitTest pg_tests[] = {
		ON(setup_pg, test_store_cosigs),
		ON(setup_pg, test_served),
	};
	int failed = cmocka_run_group_tests_name("witness cosignatures", pure, NULL, NULL);
	failed += cmocka_run_group_tests_name("cosignatures on SQLite", sqlite_tests, NULL, NULL);
	const char *pg = fw_test_pg_url();
	if (pg) {
		snprintf(pg_url, sizeof pg_url, "%s", pg);
		failed += cmocka_run_group_tests_name("cosignatures on PostgreSQL", pg_tests, NULL, NULL);
	} else {
		printf("[  SKIPPED ] cosignatures on PostgreSQL: set FW_TEST_PG_URL (scripts/pg-test-cluster.sh start)\n");
	}
	return failed;
}
