/* Changes logged in their own transaction (docs/log.md, issue 5): a member
 * sanction, an advisory update (schedule, expedite) and a trace run each
 * write their transparency-log entry through a struct fw_store_log_hook, so
 * that the store holds both or neither. Each test runs on SQLite and, when
 * FW_TEST_PG_URL names a PostgreSQL database, on PostgreSQL (skipped
 * otherwise), each time on a database of its own (a new file; a new
 * schema), so that the log starts empty and its counts are exact. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "base/buf.h"
#include "crypto/crypto.h"
#include "store/store.h"
#include "tlog/tlog.h"

#define T0 1750000000

static const uint8_t master[FW_CRYPTO_KEY_BYTES] = {7};

struct ctx {
	bool pg;
	struct fw_test_db db;
	struct fw_store *s;
};

static int setup_backend(void **state, bool pg)
{
	struct ctx *c = calloc(1, sizeof *c);
	if (!c)
		return -1;
	c->pg = pg;
	*state = c;
	if (pg && !fw_test_pg_url())
		return 0; /* the test skips */
	if (!fw_test_db_new(&c->db, pg ? fw_test_pg_url() : NULL, "fwt_logged"))
		return -1;
	if (fw_store_open(c->db.url, &c->s) != FW_OK) {
		fprintf(stderr, "cannot open the %s store: %s\n", pg ? "PostgreSQL" : "SQLite", fw_err_detail());
		return -1;
	}
	return 0;
}

static int setup_sqlite(void **state) { return setup_backend(state, false); }
static int setup_pg(void **state) { return setup_backend(state, true); }

static int teardown(void **state)
{
	struct ctx *c = *state;
	fw_store_close(c->s);
	fw_test_db_remove(&c->db);
	free(c);
	return 0;
}

/* The test's store, or a skip when it runs on PostgreSQL without one. */
static struct fw_store *store_of(void **state)
{
	struct ctx *c = *state;
	if (!c->s)
		skip();
	return c->s;
}

/* --- fixtures ------------------------------------------------------------ */
static void member_add(struct fw_store *s, const char *id, int ntokens)
{
	struct fw_member m;
	memset(&m, 0, sizeof m);
	snprintf(m.id, sizeof m.id, "%s", id);
	snprintf(m.name, sizeof m.name, "Member %s", id);
	snprintf(m.tier, sizeof m.tier, "gold");
	snprintf(m.jurisdiction, sizeof m.jurisdiction, "DE");
	snprintf(m.age_recipient, sizeof m.age_recipient, "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqq");
	m.status = FW_MEMBER_ACTIVE;
	m.created_at = m.updated_at = T0;
	assert_int_equal(fw_store_member_create(s, &m), FW_OK);
	for (int i = 0; i < ntokens; i++) {
		struct fw_token t;
		uint8_t hash[32] = {0};
		memset(&t, 0, sizeof t);
		snprintf(t.id, sizeof t.id, "tok_%s_%d", id, i);
		snprintf(t.member_id, sizeof t.member_id, "%s", id);
		t.role = FW_ROLE_MEMBER;
		t.created_at = T0;
		hash[0] = (uint8_t)i;
		hash[1] = (uint8_t)id[0];
		assert_int_equal(fw_store_token_create(s, &t, hash), FW_OK);
	}
}

static void advisory_add(struct fw_store *s, const char *id)
{
	struct fw_advisory a;
	memset(&a, 0, sizeof a);
	snprintf(a.id, sizeof a.id, "%s", id);
	snprintf(a.title, sizeof a.title, "a bug");
	a.status = FW_ADVISORY_DRAFT;
	a.tlp = FW_TLP_AMBER_STRICT;
	a.public_at = T0 + 86400 * 20;
	a.created_at = a.updated_at = T0;
	assert_int_equal(fw_store_advisory_create(s, &a), FW_OK);
}

static uint64_t sequenced(struct fw_store *s)
{
	struct fw_store_log_state st;
	assert_int_equal(fw_store_log_state(s, &st), FW_OK);
	return st.sequenced;
}

static size_t revoked_tokens(struct fw_store *s, const char *member_id, int64_t at)
{
	struct fw_token *ts = NULL;
	size_t n = 0, k = 0;
	assert_int_equal(fw_store_token_list(s, member_id, &ts, &n), FW_OK);
	for (size_t i = 0; i < n; i++)
		if (ts[i].revoked_at != 0) {
			assert_int_equal(ts[i].revoked_at, at);
			k++;
		}
	free(ts);
	return k;
}

/* --- hooks --------------------------------------------------------------- */
enum how { MAKE_OK, MAKE_FAILS, MAKE_EMPTY };

struct hook {
	struct fw_store_log_hook h;
	enum how how;
	const char *type; /* "member" or an event type */
	const char *subject, *status, *details;
	int64_t at;
	const struct fw_store_trace *trace; /* when set: its id is recorded */
	int64_t seen_id;
	int calls;
};

static enum fw_err make(void *ctx, struct fw_buf *entry, uint8_t leaf[32])
{
	struct hook *k = ctx;
	enum fw_err r;
	k->calls++;
	if (k->trace)
		k->seen_id = k->trace->id;
	if (k->how == MAKE_FAILS)
		return fw_err_set(FW_ERR_INVALID, "the test's hook fails");
	if (k->how == MAKE_EMPTY) { /* an entry the database refuses to sequence */
		fw_tlog_leaf_hash((const uint8_t *)"", 0, leaf);
		return FW_OK;
	}
	r = strcmp(k->type, "member") == 0
		    ? fw_tlog_entry_member(master, k->subject, k->status, k->details, k->at, entry)
		    : fw_tlog_entry_event(master, k->type, k->subject, k->details, k->at, entry);
	if (r == FW_OK)
		fw_tlog_leaf_hash(entry->data, entry->len, leaf);
	return r;
}

static struct fw_store_log_hook *hook_init(struct hook *k, enum how how, const char *type, const char *subject,
					   const char *status, const char *details, int64_t at)
{
	memset(k, 0, sizeof *k);
	k->h.make = make;
	k->h.ctx = k;
	k->h.index = 12345; /* the store must reset what it does not write */
	k->h.written = true;
	k->how = how;
	k->type = type;
	k->subject = subject;
	k->status = status;
	k->details = details;
	k->at = at;
	return &k->h;
}

struct got {
	struct fw_buf entry;
};

static enum fw_err got_entry(void *ctx, uint64_t index, const uint8_t *entry, size_t n)
{
	(void)index;
	struct got *g = ctx;
	fw_buf_reset(&g->entry);
	return fw_buf_append(&g->entry, entry, n);
}

/* The log's newest entry is the hook's: at its index, of the type, with
 * the leaf hash of its bytes, and nothing after it. */
static void assert_logged(struct fw_store *s, const struct hook *k, uint64_t before, const char *status)
{
	struct got g;
	char want[64];
	uint8_t leaf[32], stored[32];
	assert_true(k->h.written);
	assert_int_equal(k->calls, 1);
	assert_int_equal(k->h.index, before);
	assert_int_equal(sequenced(s), before + 1);
	fw_buf_init(&g.entry, FW_STORE_LOG_ENTRY_MAX);
	assert_int_equal(fw_store_log_entries(s, k->h.index, 1, got_entry, &g), FW_OK);
	assert_int_equal(fw_buf_append(&g.entry, "", 1), FW_OK);
	const char *e = (const char *)g.entry.data;
	snprintf(want, sizeof want, "\"type\":\"%s\",\"v\":1}", k->type);
	assert_non_null(strstr(e, want));
	snprintf(want, sizeof want, "\"time\":%lld,", (long long)k->at);
	assert_non_null(strstr(e, want));
	if (status) {
		snprintf(want, sizeof want, "\"status\":\"%s\"", status);
		assert_non_null(strstr(e, want));
	}
	assert_null(strstr(e, k->subject)); /* committed to, never named */
	fw_tlog_leaf_hash(g.entry.data, g.entry.len - 1, leaf);
	assert_int_equal(fw_store_log_leaves(s, k->h.index, 1, stored), FW_OK);
	assert_memory_equal(leaf, stored, 32);
	fw_buf_cleanup(&g.entry);
}

static void assert_nothing_logged(struct fw_store *s, const struct hook *k, uint64_t before)
{
	assert_false(k->h.written);
	assert_int_equal(k->h.index, 0);
	assert_int_equal(sequenced(s), before);
	uint8_t leaf[32];
	assert_int_equal(fw_store_log_leaves(s, before, 1, leaf), FW_ERR_NOT_FOUND);
}

static void assert_member(struct fw_store *s, const char *id, enum fw_member_status st, int64_t updated_at)
{
	struct fw_member m;
	assert_int_equal(fw_store_member_get(s, id, &m), FW_OK);
	assert_int_equal(m.status, st);
	assert_int_equal(m.updated_at, updated_at);
}

/* --- member sanctions ---------------------------------------------------- */
static void test_sanctions_logged(void **state)
{
	struct fw_store *s = store_of(state);
	struct hook k;
	member_add(s, "acme", 2);
	member_add(s, "globex", 1);
	uint64_t n0 = sequenced(s);

	/* suspend: status, no tokens revoked, one member entry */
	struct fw_store_status_change ch = {.member_id = "acme", .from = FW_MEMBER_ACTIVE, .to = FW_MEMBER_SUSPENDED,
					    .at = T0 + 10};
	assert_int_equal(fw_store_member_set_status(
				 s, &ch, hook_init(&k, MAKE_OK, "member", "acme", "suspended", "suspected leak", T0 + 10)),
			 FW_OK);
	assert_logged(s, &k, n0, "suspended");
	assert_member(s, "acme", FW_MEMBER_SUSPENDED, T0 + 10);
	assert_int_equal(ch.revoked, 0);
	assert_int_equal(revoked_tokens(s, "acme", 0), 0);

	/* reinstate */
	ch = (struct fw_store_status_change){.member_id = "acme", .from = FW_MEMBER_SUSPENDED, .to = FW_MEMBER_ACTIVE,
					     .at = T0 + 20};
	assert_int_equal(
		fw_store_member_set_status(s, &ch, hook_init(&k, MAKE_OK, "member", "acme", "active", "cleared", T0 + 20)),
		FW_OK);
	assert_logged(s, &k, n0 + 1, "active");
	assert_member(s, "acme", FW_MEMBER_ACTIVE, T0 + 20);

	/* expel: every token of the member revoked at the same time, nobody else's */
	ch = (struct fw_store_status_change){.member_id = "acme", .from = FW_MEMBER_ACTIVE, .to = FW_MEMBER_EXPELLED,
					     .at = T0 + 30, .revoke_tokens = true};
	assert_int_equal(fw_store_member_set_status(
				 s, &ch, hook_init(&k, MAKE_OK, "member", "acme", "expelled", "leaked poc", T0 + 30)),
			 FW_OK);
	assert_logged(s, &k, n0 + 2, "expelled");
	assert_member(s, "acme", FW_MEMBER_EXPELLED, T0 + 30);
	assert_int_equal(ch.revoked, 2);
	assert_int_equal(revoked_tokens(s, "acme", T0 + 30), 2);
	assert_int_equal(revoked_tokens(s, "globex", 0), 0);

	/* without a hook: the change alone, no entry */
	ch = (struct fw_store_status_change){.member_id = "globex", .from = FW_MEMBER_ACTIVE,
					     .to = FW_MEMBER_SUSPENDED, .at = T0 + 40};
	assert_int_equal(fw_store_member_set_status(s, &ch, NULL), FW_OK);
	assert_member(s, "globex", FW_MEMBER_SUSPENDED, T0 + 40);
	assert_int_equal(sequenced(s), n0 + 3);
}

/* An entry that cannot be made, or that the database refuses to sequence
 * after the status was written: the member is as before, its tokens live,
 * and the log has no new entry. */
static void test_sanction_rolled_back(void **state)
{
	struct fw_store *s = store_of(state);
	struct hook k;
	member_add(s, "acme", 2);
	uint64_t n0 = sequenced(s);
	static const enum how fails[] = {MAKE_FAILS, MAKE_EMPTY};
	for (size_t i = 0; i < sizeof fails / sizeof fails[0]; i++) {
		struct fw_store_status_change ch = {.member_id = "acme", .from = FW_MEMBER_ACTIVE,
						    .to = FW_MEMBER_EXPELLED, .at = T0 + 50, .revoke_tokens = true};
		assert_int_not_equal(fw_store_member_set_status(
					     s, &ch, hook_init(&k, fails[i], "member", "acme", "expelled", "x", T0 + 50)),
				     FW_OK);
		assert_int_equal(k.calls, 1);
		assert_nothing_logged(s, &k, n0);
		assert_member(s, "acme", FW_MEMBER_ACTIVE, T0);
		assert_int_equal(revoked_tokens(s, "acme", 0), 0);
	}
	/* A real builder's refusal (a reason of two lines) is the same. */
	struct fw_store_status_change ch = {.member_id = "acme", .from = FW_MEMBER_ACTIVE, .to = FW_MEMBER_SUSPENDED,
					    .at = T0 + 60};
	assert_int_equal(fw_store_member_set_status(
				 s, &ch, hook_init(&k, MAKE_OK, "member", "acme", "suspended", "two\nlines", T0 + 60)),
			 FW_ERR_INVALID);
	assert_nothing_logged(s, &k, n0);
	assert_member(s, "acme", FW_MEMBER_ACTIVE, T0);
	/* And the store still works: the next sanction gets the next index. */
	assert_int_equal(fw_store_member_set_status(
				 s, &ch, hook_init(&k, MAKE_OK, "member", "acme", "suspended", "one line", T0 + 60)),
			 FW_OK);
	assert_logged(s, &k, n0, "suspended");
}

/* The status must still be the one the caller saw: a sanction racing
 * another one changes nothing and writes no entry. */
static void test_sanction_state(void **state)
{
	struct fw_store *s = store_of(state);
	struct hook k;
	member_add(s, "acme", 1);
	uint64_t n0 = sequenced(s);
	struct fw_store_status_change ch = {.member_id = "acme", .from = FW_MEMBER_SUSPENDED, .to = FW_MEMBER_ACTIVE,
					    .at = T0 + 5};
	assert_int_equal(
		fw_store_member_set_status(s, &ch, hook_init(&k, MAKE_OK, "member", "acme", "active", "r", T0 + 5)),
		FW_ERR_STATE);
	assert_int_equal(k.calls, 0);
	assert_nothing_logged(s, &k, n0);
	assert_member(s, "acme", FW_MEMBER_ACTIVE, T0);
	ch.member_id = "ghost";
	assert_int_equal(
		fw_store_member_set_status(s, &ch, hook_init(&k, MAKE_OK, "member", "ghost", "active", "r", T0 + 5)),
		FW_ERR_NOT_FOUND);
	assert_nothing_logged(s, &k, n0);
	ch = (struct fw_store_status_change){.member_id = "acme", .from = FW_MEMBER_ACTIVE, .to = (enum fw_member_status)9};
	assert_int_equal(fw_store_member_set_status(s, &ch, NULL), FW_ERR_INVALID);
}

/* --- advisory updates: schedule, expedite -------------------------------- */
static void test_advisory_logged(void **state)
{
	struct fw_store *s = store_of(state);
	struct hook k;
	struct fw_advisory a, got;
	advisory_add(s, "sp-rce");
	uint64_t n0 = sequenced(s);
	assert_int_equal(fw_store_advisory_get(s, "sp-rce", &a), FW_OK);

	a.status = FW_ADVISORY_SCHEDULED;
	a.updated_at = T0 + 10;
	assert_int_equal(fw_store_advisory_update(s, &a,
						  hook_init(&k, MAKE_OK, "schedule", "sp-rce", NULL,
							    "public_at 2025-07-08T17:00:00Z policy 1", T0 + 10)),
			 FW_OK);
	assert_logged(s, &k, n0, NULL);
	assert_int_equal(fw_store_advisory_get(s, "sp-rce", &got), FW_OK);
	assert_int_equal(got.status, FW_ADVISORY_SCHEDULED);

	a.public_at = T0 + 86400;
	a.updated_at = T0 + 20;
	assert_int_equal(fw_store_advisory_update(s, &a,
						  hook_init(&k, MAKE_OK, "expedite", "sp-rce", NULL,
							    "from a to b reason exploited", T0 + 20)),
			 FW_OK);
	assert_logged(s, &k, n0 + 1, NULL);
	assert_int_equal(fw_store_advisory_get(s, "sp-rce", &got), FW_OK);
	assert_int_equal(got.public_at, T0 + 86400);

	/* No hook: no entry. A missing advisory: nothing, and make is not run. */
	a.updated_at = T0 + 30;
	assert_int_equal(fw_store_advisory_update(s, &a, NULL), FW_OK);
	assert_int_equal(sequenced(s), n0 + 2);
	struct fw_advisory ghost = a;
	snprintf(ghost.id, sizeof ghost.id, "ghost");
	assert_int_equal(fw_store_advisory_update(s, &ghost, hook_init(&k, MAKE_OK, "expedite", "ghost", NULL, "d", 1)),
			 FW_ERR_NOT_FOUND);
	assert_int_equal(k.calls, 0);
	assert_nothing_logged(s, &k, n0 + 2);
}

static void test_advisory_rolled_back(void **state)
{
	struct fw_store *s = store_of(state);
	struct hook k;
	struct fw_advisory a, got;
	advisory_add(s, "sp-rce");
	uint64_t n0 = sequenced(s);
	static const enum how fails[] = {MAKE_FAILS, MAKE_EMPTY};
	for (size_t i = 0; i < sizeof fails / sizeof fails[0]; i++) {
		assert_int_equal(fw_store_advisory_get(s, "sp-rce", &a), FW_OK);
		a.status = FW_ADVISORY_SCHEDULED;
		a.public_at = T0 + 3600;
		a.updated_at = T0 + 10;
		assert_int_not_equal(
			fw_store_advisory_update(s, &a, hook_init(&k, fails[i], "schedule", "sp-rce", NULL, "d", T0 + 10)),
			FW_OK);
		assert_int_equal(k.calls, 1);
		assert_nothing_logged(s, &k, n0);
		assert_int_equal(fw_store_advisory_get(s, "sp-rce", &got), FW_OK);
		assert_int_equal(got.status, FW_ADVISORY_DRAFT);
		assert_int_equal(got.public_at, T0 + 86400 * 20);
		assert_int_equal(got.updated_at, T0);
	}
}

/* --- trace runs ---------------------------------------------------------- */
static void trace_fill(struct fw_store_trace *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->advisory_id, sizeof t->advisory_id, "sp-rce");
	t->kind = FW_KIND_POC;
	t->created_at = T0 + 100;
	snprintf(t->actor, sizeof t->actor, "tok_admin");
	t->epsilon = 0.001;
	t->inputs = "[]";
	t->result = "{\"accused\":[]}";
}

static void test_trace_logged(void **state)
{
	struct fw_store *s = store_of(state);
	struct fw_store_trace t;
	struct hook k;
	size_t n = 0;
	advisory_add(s, "sp-rce");
	uint64_t n0 = sequenced(s);
	trace_fill(&t);
	hook_init(&k, MAKE_OK, "trace", "sp-rce", NULL, "kind poc files accused", T0 + 100);
	k.trace = &t;
	assert_int_equal(fw_store_trace_add(s, &t, &k.h), FW_OK);
	assert_logged(s, &k, n0, NULL);
	assert_true(t.id > 0);
	assert_int_equal(k.seen_id, t.id); /* make() ran after the run had its id */
	assert_int_equal(fw_store_trace_count(s, "sp-rce", &n), FW_OK);
	assert_int_equal(n, 1);

	/* the unlogged form still stores a run, and no entry */
	trace_fill(&t);
	assert_int_equal(fw_store_trace_add(s, &t, NULL), FW_OK);
	assert_int_equal(fw_store_trace_count(s, "sp-rce", &n), FW_OK);
	assert_int_equal(n, 2);
	assert_int_equal(sequenced(s), n0 + 1);
}

static void test_trace_rolled_back(void **state)
{
	struct fw_store *s = store_of(state);
	struct fw_store_trace t;
	struct hook k;
	size_t n = 0;
	advisory_add(s, "sp-rce");
	uint64_t n0 = sequenced(s);
	static const enum how fails[] = {MAKE_FAILS, MAKE_EMPTY};
	for (size_t i = 0; i < sizeof fails / sizeof fails[0]; i++) {
		trace_fill(&t);
		hook_init(&k, fails[i], "trace", "sp-rce", NULL, "d", T0 + 100);
		k.trace = &t;
		assert_int_not_equal(fw_store_trace_add(s, &t, &k.h), FW_OK);
		assert_int_equal(k.calls, 1);
		assert_true(k.seen_id > 0);
		assert_int_equal(t.id, 0); /* an out-parameter is set on success only */
		assert_nothing_logged(s, &k, n0);
		assert_int_equal(fw_store_trace_count(s, "sp-rce", &n), FW_OK);
		assert_int_equal(n, 0);
	}
}

/* --- PostgreSQL: a sanction beside a delivery to the same member --------- */
struct sanction_run {
	struct fw_store *s;
	struct hook k;
	enum fw_err r;
};

static void *sanction_thread(void *arg)
{
	struct sanction_run *run = arg;
	struct fw_store_status_change ch = {.member_id = "acme", .from = FW_MEMBER_ACTIVE, .to = FW_MEMBER_SUSPENDED,
					    .at = T0 + 10};
	run->r = fw_store_member_set_status(
		run->s, &ch, hook_init(&run->k, MAKE_OK, "member", "acme", "suspended", "leak", T0 + 10));
	return NULL;
}

/* A delivery holds the log's sequence lock and then checks its member's row
 * (the foreign key: KEY SHARE); a sanction locks the member's row and then
 * waits for the sequence lock. With the sanction's lock FOR UPDATE the two
 * deadlocked and PostgreSQL aborted one; FOR NO KEY UPDATE lets both pass. */
static void test_sanction_beside_delivery(void **state)
{
	struct ctx *c = *state;
	struct fw_store *s = store_of(state);
	if (!c->pg)
		skip();
	member_add(s, "acme", 0);
	PGconn *pq = PQconnectdb(c->db.url);
	assert_int_equal(PQstatus(pq), CONNECTION_OK);
	PGresult *res = PQexec(pq, "BEGIN; SELECT next_index FROM log_seq WHERE id = 1 FOR UPDATE");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	PQclear(res);
	struct sanction_run run = {.s = s};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, sanction_thread, &run), 0);
	usleep(500 * 1000); /* the sanction holds the member's row, waits for the sequence */
	res = PQexec(pq, "INSERT INTO plan_members (member_id, class, member_revision, policy_version)"
			 " VALUES ('acme', 'x', 0, 0)");
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK)
		fprintf(stderr, "the delivery's side failed: %s", PQresultErrorMessage(res));
	PQclear(res);
	PQclear(PQexec(pq, "ROLLBACK"));
	pthread_join(th, NULL);
	PQfinish(pq);
	assert_int_equal(st, PGRES_COMMAND_OK);
	assert_int_equal(run.r, FW_OK);
	assert_member(s, "acme", FW_MEMBER_SUSPENDED, T0 + 10);
}

#define BOTH(f) {#f "/sqlite", f, setup_sqlite, teardown, NULL}, {#f "/pg", f, setup_pg, teardown, NULL}

int main(void)
{
	if (fw_crypto_init() != FW_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		BOTH(test_sanctions_logged),  BOTH(test_sanction_rolled_back), BOTH(test_sanction_state),
		BOTH(test_advisory_logged),   BOTH(test_advisory_rolled_back), BOTH(test_trace_logged),
		BOTH(test_trace_rolled_back),
		{"test_sanction_beside_delivery/pg", test_sanction_beside_delivery, setup_pg, teardown, NULL},
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
