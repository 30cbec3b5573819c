/* Storage tests, written against store.h only so that the same suite runs on
 * every backend.
 *
 * By default each test gets a new SQLite file in a temporary directory. With
 * FW_TEST_DB set (e.g. a postgresql:// URL) every test opens that one
 * database, which then holds what earlier tests and runs left behind. So
 * that the suite is correct there too, each test names its records with a
 * prefix of its own and works in a window of time of its own, later than any
 * earlier test's, and checks only its own records in lists. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "store/store.h"

#define WINDOW 1000000 /* seconds of test time each test may use */

struct ctx {
	char dir[64];   /* "" when FW_TEST_DB is used */
	char url[512];
	struct fw_store *s;
	char prefix[32]; /* of every id the test creates */
	int64_t t0;      /* the start of the test's window of time */
};

static unsigned test_seq;
static int64_t run_base;

/* The test directory holds only database files (and their -wal, -shm). */
static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[600];
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* A database URL; name picks another file in the test's directory, so a
 * test can open a database nobody has opened yet. On PostgreSQL another
 * name is a new schema of the FW_TEST_DB database (the store creates the
 * schema its search_path names), so that such a test sees a new database
 * there too. */
static void db_url(const struct ctx *c, const char *name, char *out, size_t n)
{
	const char *env = getenv("FW_TEST_DB");
	bool pg = env && (strncmp(env, "postgresql://", 13) == 0 || strncmp(env, "postgres://", 11) == 0);
	if (pg && strcmp(name, "main") != 0)
		snprintf(out, n, "%s%coptions=-csearch_path%%3Dfwt_%s_%lld_%ld_%u", env, strchr(env, '?') ? '&' : '?',
			 name, (long long)time(NULL), (long)getpid(), test_seq);
	else if (env && *env)
		snprintf(out, n, "%s", env);
	else
		snprintf(out, n, "sqlite:%s/%s.db", c->dir, name);
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof *c);
	if (!c)
		return -1;
	const char *env = getenv("FW_TEST_DB");
	if (!(env && *env)) {
		snprintf(c->dir, sizeof c->dir, "/tmp/fw-store-XXXXXX");
		if (!mkdtemp(c->dir)) {
			free(c);
			return -1;
		}
	}
	if (run_base == 0)
		run_base = (int64_t)time(NULL) * 100 * WINDOW;
	test_seq++;
	snprintf(c->prefix, sizeof c->prefix, "t%lld-%u", (long long)time(NULL), test_seq);
	c->t0 = run_base + (int64_t)test_seq * WINDOW;
	db_url(c, "main", c->url, sizeof c->url);
	if (fw_store_open(c->url, &c->s) != FW_OK) {
		fprintf(stderr, "cannot open %s: %s\n", c->url, fw_err_detail());
		if (c->dir[0])
			rm_dir(c->dir);
		free(c);
		return -1;
	}
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	fw_store_close(c->s);
	if (c->dir[0])
		rm_dir(c->dir);
	free(c);
	return 0;
}

/* --- builders ----------------------------------------------------------- */
static void mkid(const struct ctx *c, char out[FW_MODEL_ID_BYTES], const char *suffix)
{
	snprintf(out, FW_MODEL_ID_BYTES, "%s-%s", c->prefix, suffix);
}

static bool mine(const struct ctx *c, const char *id)
{
	return strncmp(id, c->prefix, strlen(c->prefix)) == 0 && id[strlen(c->prefix)] == '-';
}

static void member_fill(const struct ctx *c, struct fw_member *m, const char *suffix,
			enum fw_member_status st)
{
	memset(m, 0, sizeof *m);
	mkid(c, m->id, suffix);
	snprintf(m->name, sizeof m->name, "Member %s", suffix);
	snprintf(m->tier, sizeof m->tier, "gold");
	snprintf(m->jurisdiction, sizeof m->jurisdiction, "DE");
	m->status = st;
	m->tags.n = 2;
	snprintf(m->tags.v[0], sizeof m->tags.v[0], "edr");
	snprintf(m->tags.v[1], sizeof m->tags.v[1], "av");
	snprintf(m->contact, sizeof m->contact, "security@example.com");
	snprintf(m->age_recipient, sizeof m->age_recipient, "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqq");
	m->created_at = c->t0;
	m->updated_at = c->t0 + 1;
}

static void member_make(const struct ctx *c, const char *suffix, enum fw_member_status st)
{
	struct fw_member m;
	member_fill(c, &m, suffix, st);
	assert_int_equal(fw_store_member_create(c->s, &m), FW_OK);
}

static void advisory_fill(const struct ctx *c, struct fw_advisory *a, const char *suffix,
			  enum fw_advisory_status st, int64_t public_at)
{
	memset(a, 0, sizeof *a);
	mkid(c, a->id, suffix);
	snprintf(a->title, sizeof a->title, "Remote code execution in %s", suffix);
	a->ncves = 2;
	snprintf(a->cves[0], sizeof a->cves[0], "CVE-2025-53770");
	snprintf(a->cves[1], sizeof a->cves[1], "CVE-2025-53771");
	a->nproducts = 1;
	snprintf(a->products[0], sizeof a->products[0], "SharePoint Server \"Subscription\" Édition");
	snprintf(a->cvss_vector, sizeof a->cvss_vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
	a->cvss_score = 9.8;
	a->tags.n = 1;
	snprintf(a->tags.v[0], sizeof a->tags.v[0], "rce");
	a->public_at = public_at;
	a->status = st;
	a->tlp = FW_TLP_AMBER_STRICT;
	a->created_at = c->t0;
	a->updated_at = c->t0 + 2;
}

static void advisory_make(const struct ctx *c, const char *suffix, enum fw_advisory_status st,
			  int64_t public_at)
{
	struct fw_advisory a;
	advisory_fill(c, &a, suffix, st, public_at);
	assert_int_equal(fw_store_advisory_create(c->s, &a), FW_OK);
}

static enum fw_err plan_put(const struct ctx *c, const struct fw_plan_entry *e, size_t n);

/* The change makes the advisory's decisions stale (its revision moved):
 * the release layer then re-plans; here the plan of the fixture's
 * advisories ("adv", "draft") is written again as it was. */
static void advisory_set_status(const struct ctx *c, const char *suffix, enum fw_advisory_status st)
{
	static const char *const fixture[] = {"adv", "draft"};
	struct fw_plan_entry all[64];
	size_t n = 0;
	char id[FW_MODEL_ID_BYTES];
	struct fw_advisory a;
	for (size_t i = 0; i < 2; i++) {
		struct fw_plan_entry *p = NULL;
		size_t np = 0;
		mkid(c, id, fixture[i]);
		assert_int_equal(fw_store_plan_list(c->s, id, NULL, &p, &np), FW_OK);
		assert_true(n + np <= 64);
		memcpy(all + n, p, np * sizeof *p);
		n += np;
		free(p);
	}
	mkid(c, id, suffix);
	assert_int_equal(fw_store_advisory_get(c->s, id, &a), FW_OK);
	int64_t revision = a.revision;
	a.status = st;
	assert_int_equal(fw_store_advisory_update(c->s, &a, NULL), FW_OK);
	assert_int_equal(fw_store_advisory_get(c->s, id, &a), FW_OK);
	assert_true(a.revision == revision + 1);
	assert_int_equal(plan_put(c, all, n), FW_OK);
}

static void member_set_status(const struct ctx *c, const char *suffix, enum fw_member_status st)
{
	char id[FW_MODEL_ID_BYTES];
	struct fw_member m;
	mkid(c, id, suffix);
	assert_int_equal(fw_store_member_get(c->s, id, &m), FW_OK);
	m.status = st;
	assert_int_equal(fw_store_member_update(c->s, &m), FW_OK);
	/* The change makes the member's class stale (its revision moved): it is
	 * classed again, as the release layer does after every member change.
	 * In these tests each member is a class of its own. */
	struct fw_plan_member pm;
	struct fw_policy_version v = {0};
	memset(&pm, 0, sizeof pm);
	assert_int_equal(fw_store_member_get(c->s, id, &m), FW_OK);
	assert_true(m.revision > 0);
	snprintf(pm.member_id, sizeof pm.member_id, "%s", id);
	snprintf(pm.class_key, sizeof pm.class_key, "%s", id);
	pm.member_revision = m.revision;
	if (fw_store_policy_get(c->s, 0, &v, NULL) != FW_OK)
		v.version = 0;
	struct fw_plan_write w = {.scope = FW_PLAN_MEMBER, .policy_version = v.version, .members = &pm, .nmembers = 1};
	assert_int_equal(fw_store_plan_write(c->s, &w), FW_OK);
}

static int artifact_make(const struct ctx *c, const char *adv_suffix, enum fw_kind kind, const char *text)
{
	struct fw_artifact a = {0};
	mkid(c, a.advisory_id, adv_suffix);
	a.kind = kind;
	snprintf(a.media_type, sizeof a.media_type, "text/markdown");
	a.size = strlen(text);
	memset(a.sha256, (int)strlen(text), sizeof a.sha256);
	a.created_at = c->t0 + 3;
	assert_int_equal(fw_store_artifact_add(c->s, &a, (const uint8_t *)text, strlen(text)), FW_OK);
	return a.version;
}

static struct fw_plan_entry plan_entry(const struct ctx *c, const char *member, const char *adv,
				       enum fw_kind kind, bool withheld, int64_t release_at)
{
	struct fw_plan_entry e;
	memset(&e, 0, sizeof e);
	mkid(c, e.member_id, member);
	mkid(c, e.advisory_id, adv);
	e.kind = kind;
	e.withheld = withheld;
	e.release_at = release_at;
	snprintf(e.reason, sizeof e.reason, "tier gold: %s", withheld ? "withheld" : "T-5d");
	/* Only the newest policy version's plan is ever due: decide "under" it
	 * (other tests may have stored policies in a shared database). */
	struct fw_policy_version v;
	if (fw_store_policy_get(c->s, 0, &v, NULL) == FW_OK)
		e.policy_version = v.version;
	return e;
}

/* Writes a whole plan (FW_PLAN_ALL) in which each member named in e is a
 * class of its own (its id), each entry one decision, relative to its
 * advisory's T. */
static enum fw_err plan_put(const struct ctx *c, const struct fw_plan_entry *e, size_t n)
{
	struct fw_plan_member *pm = calloc(n + 1, sizeof *pm);
	struct fw_plan_decision *pd = calloc(n + 1, sizeof *pd);
	size_t npm = 0;
	assert_non_null(pm);
	assert_non_null(pd);
	for (size_t i = 0; i < n; i++) {
		struct fw_member m;
		struct fw_advisory a;
		bool seen = false;
		for (size_t j = 0; j < npm && !seen; j++)
			seen = strcmp(pm[j].member_id, e[i].member_id) == 0;
		if (!seen) {
			snprintf(pm[npm].member_id, sizeof pm[npm].member_id, "%s", e[i].member_id);
			snprintf(pm[npm].class_key, sizeof pm[npm].class_key, "%s", e[i].member_id);
			if (fw_store_member_get(c->s, e[i].member_id, &m) == FW_OK)
				pm[npm].member_revision = m.revision;
			npm++;
		}
		snprintf(pd[i].advisory_id, sizeof pd[i].advisory_id, "%s", e[i].advisory_id);
		snprintf(pd[i].class_key, sizeof pd[i].class_key, "%s", e[i].member_id);
		pd[i].kind = e[i].kind;
		pd[i].withheld = e[i].withheld;
		assert_int_equal(fw_store_advisory_get(c->s, e[i].advisory_id, &a), FW_OK);
		pd[i].offset = e[i].withheld ? 0 : e[i].release_at - a.public_at;
		pd[i].advisory_revision = a.revision;
		snprintf(pd[i].reason, sizeof pd[i].reason, "%s", e[i].reason);
	}
	struct fw_plan_write w = {.scope = FW_PLAN_ALL, .policy_version = n ? e[0].policy_version : 0,
				  .members = pm, .nmembers = npm, .decisions = pd, .ndecisions = n};
	if (n == 0) {
		struct fw_policy_version v;
		if (fw_store_policy_get(c->s, 0, &v, NULL) == FW_OK)
			w.policy_version = v.version;
	}
	enum fw_err r = fw_store_plan_write(c->s, &w);
	free(pm);
	free(pd);
	return r;
}

static void delivery_fill(struct fw_delivery *d, const struct fw_due *due, int64_t at)
{
	memset(d, 0, sizeof *d);
	snprintf(d->member_id, sizeof d->member_id, "%s", due->member_id);
	snprintf(d->advisory_id, sizeof d->advisory_id, "%s", due->advisory_id);
	d->kind = due->kind;
	d->version = due->version;
	d->created_at = at;
	memset(d->sha256_sealed, 0xa5, sizeof d->sha256_sealed);
	memset(d->sha256_plain, 0x5a, sizeof d->sha256_plain);
}

static const uint8_t sealed_bytes[] = "age-encryption.org/v1\n-> X25519 abc\n--- def\n\x00\x01\x02\xff";

static enum fw_err deliver(const struct ctx *c, const struct fw_due *due, int64_t at, int64_t *id)
{
	struct fw_delivery d;
	delivery_fill(&d, due, at);
	enum fw_err r = fw_store_delivery_insert(c->s, &d, sealed_bytes, sizeof sealed_bytes,
						 "untrusted comment: sig\nRWQ=\n");
	if (r == FW_OK && id)
		*id = d.id;
	return r;
}

/* The test's own due pairs at now, in the store's order. */
static size_t due_mine(const struct ctx *c, int64_t now, struct fw_due *out, size_t max)
{
	struct fw_due *all = NULL;
	size_t n = 0, k = 0;
	assert_int_equal(fw_store_due_list(c->s, now, FW_STORE_MAX_LIST, &all, &n), FW_OK);
	for (size_t i = 0; i < n; i++)
		if (mine(c, all[i].advisory_id)) {
			assert_true(k < max);
			out[k++] = all[i];
		}
	free(all);
	return k;
}

static void assert_due(const struct ctx *c, const struct fw_due *d, const char *member, const char *adv,
		       enum fw_kind kind, int version, int64_t release_at)
{
	char m[FW_MODEL_ID_BYTES], a[FW_MODEL_ID_BYTES];
	mkid(c, m, member);
	mkid(c, a, adv);
	assert_string_equal(d->member_id, m);
	assert_string_equal(d->advisory_id, a);
	assert_int_equal(d->kind, kind);
	assert_int_equal(d->version, version);
	assert_int_equal(d->release_at, release_at);
}

/* --- opening ------------------------------------------------------------ */
static void test_open_urls(void **state)
{
	struct ctx *c = *state;
	struct fw_store *s = NULL;
	char path[600];

	assert_true(fw_store_schema_version(c->s) >= 1);
	assert_int_equal(fw_store_open("", &s), FW_ERR_INVALID);
	assert_int_equal(fw_store_open("sqlite:", &s), FW_ERR_INVALID);
	assert_int_equal(fw_store_open("mysql://localhost/x", &s), FW_ERR_UNSUPPORTED);
	assert_null(s);
	if (!c->dir[0])
		return; /* the rest is about SQLite files */
	/* A plain path and a "sqlite:" URL name the same file. */
	snprintf(path, sizeof path, "%s/plain.db", c->dir);
	assert_int_equal(fw_store_open(path, &s), FW_OK);
	member_make(&(struct ctx){.s = s, .t0 = c->t0, .prefix = "p"}, "a", FW_MEMBER_ACTIVE);
	fw_store_close(s);
	snprintf(path, sizeof path, "sqlite:%s/plain.db", c->dir);
	assert_int_equal(fw_store_open(path, &s), FW_OK);
	struct fw_member m;
	assert_int_equal(fw_store_member_get(s, "p-a", &m), FW_OK);
	fw_store_close(s);
	/* The file holds embargoed material: owner only. */
	snprintf(path, sizeof path, "%s/plain.db", c->dir);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 077, 0);
	fw_store_close(NULL);
}

/* The first migration creates its tables without IF NOT EXISTS, so a second
 * run would fail: reopening must skip it and find the data. */
static void test_reopen_keeps_data(void **state)
{
	struct ctx *c = *state;
	char id[FW_MODEL_ID_BYTES];
	struct fw_member m;
	int version = fw_store_schema_version(c->s);

	member_make(c, "keep", FW_MEMBER_ACTIVE);
	fw_store_close(c->s);
	c->s = NULL;
	assert_int_equal(fw_store_open(c->url, &c->s), FW_OK);
	assert_int_equal(fw_store_schema_version(c->s), version);
	mkid(c, id, "keep");
	assert_int_equal(fw_store_member_get(c->s, id, &m), FW_OK);
	assert_string_equal(m.id, id);
}

struct opener {
	const char *url;
	pthread_barrier_t *go;
	enum fw_err r;
	int version;
};

static void *open_thread(void *arg)
{
	struct opener *o = arg;
	struct fw_store *s = NULL;
	pthread_barrier_wait(o->go);
	o->r = fw_store_open(o->url, &s);
	if (o->r == FW_OK)
		o->version = fw_store_schema_version(s);
	fw_store_close(s);
	return NULL;
}

/* Several processes (here threads, each with its own store) creating the
 * same new database at once all succeed: migrations are serialized. */
static void test_concurrent_first_open(void **state)
{
	struct ctx *c = *state;
	char url[512];
	pthread_barrier_t go;
	pthread_t th[4];
	struct opener o[4];

	db_url(c, "fresh", url, sizeof url);
	assert_int_equal(pthread_barrier_init(&go, NULL, 4), 0);
	for (int i = 0; i < 4; i++) {
		o[i] = (struct opener){.url = url, .go = &go};
		assert_int_equal(pthread_create(&th[i], NULL, open_thread, &o[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(o[i].r, FW_OK);
		assert_int_equal(o[i].version, fw_store_schema_version(c->s));
	}
}

/* --- members ------------------------------------------------------------ */
static void test_members(void **state)
{
	struct ctx *c = *state;
	struct fw_member m, got, *list = NULL;
	size_t n = 0;
	char id[FW_MODEL_ID_BYTES];

	member_fill(c, &m, "bravo", FW_MEMBER_PROBATION);
	snprintf(m.minisign_pubkey, sizeof m.minisign_pubkey, "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3");
	assert_int_equal(fw_store_member_create(c->s, &m), FW_OK);
	assert_int_equal(fw_store_member_get(c->s, m.id, &got), FW_OK);
	assert_memory_equal(&got, &m, sizeof m);
	assert_int_equal(fw_store_member_create(c->s, &m), FW_ERR_EXISTS);

	mkid(c, id, "nobody");
	memset(&got, 0x77, sizeof got);
	assert_int_equal(fw_store_member_get(c->s, id, &got), FW_ERR_NOT_FOUND);
	assert_int_equal((unsigned char)got.id[0], 0x77); /* untouched on failure */

	/* Update replaces every field. */
	snprintf(m.name, sizeof m.name, "Bravo Renamed");
	m.status = FW_MEMBER_SUSPENDED;
	m.tags.n = 0;
	m.minisign_pubkey[0] = '\0';
	m.updated_at = c->t0 + 99;
	assert_int_equal(fw_store_member_update(c->s, &m), FW_OK);
	memset(&got, 0, sizeof got);
	assert_int_equal(fw_store_member_get(c->s, m.id, &got), FW_OK);
	assert_string_equal(got.name, "Bravo Renamed");
	assert_int_equal(got.status, FW_MEMBER_SUSPENDED);
	assert_int_equal(got.tags.n, 0);
	assert_string_equal(got.minisign_pubkey, "");
	assert_int_equal(got.updated_at, c->t0 + 99);

	struct fw_member ghost;
	member_fill(c, &ghost, "ghost", FW_MEMBER_ACTIVE);
	assert_int_equal(fw_store_member_update(c->s, &ghost), FW_ERR_NOT_FOUND);
	assert_int_equal(fw_store_member_get(c->s, ghost.id, &got), FW_ERR_NOT_FOUND);

	member_make(c, "charlie", FW_MEMBER_ACTIVE);
	member_make(c, "alpha", FW_MEMBER_EXPELLED);
	assert_int_equal(fw_store_member_list(c->s, &list, &n), FW_OK);
	const char *want[] = {"alpha", "bravo", "charlie"};
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!mine(c, list[i].id))
			continue;
		assert_true(k < 3);
		mkid(c, id, want[k++]);
		assert_string_equal(list[i].id, id);
	}
	assert_int_equal(k, 3);
	free(list);
}

/* --- tokens ------------------------------------------------------------- */
static struct fw_token token_fill(const struct ctx *c, const char *id, enum fw_role role,
				  const char *member, int64_t created)
{
	struct fw_token t;
	memset(&t, 0, sizeof t);
	snprintf(t.id, sizeof t.id, "%s", id);
	t.role = role;
	if (member)
		mkid(c, t.member_id, member);
	snprintf(t.label, sizeof t.label, "label of %s", id);
	t.created_at = created;
	t.expires_at = created + 86400;
	return t;
}

static void test_tokens(void **state)
{
	struct ctx *c = *state;
	uint8_t h1[32], h2[32], h3[32], h4[32];
	char t1[32], t2[32], t3[32];
	struct fw_token t, got, *list = NULL;
	size_t n = 0;

	/* Token ids are global; keep them unique per test with the prefix. */
	snprintf(t1, sizeof t1, "tok_%.24s1", c->prefix);
	snprintf(t2, sizeof t2, "tok_%.24s2", c->prefix);
	snprintf(t3, sizeof t3, "tok_%.24s3", c->prefix);
	memset(h1, 1, 32);
	memset(h2, 2, 32);
	memset(h3, 3, 32);
	memset(h4, 4, 32);
	memcpy(h1, c->prefix, strlen(c->prefix));
	memcpy(h2, c->prefix, strlen(c->prefix));
	memcpy(h3, c->prefix, strlen(c->prefix));
	memcpy(h4, c->prefix, strlen(c->prefix));
	member_make(c, "m", FW_MEMBER_ACTIVE);

	t = token_fill(c, t2, FW_ROLE_MEMBER, "m", c->t0 + 20);
	assert_int_equal(fw_store_token_create(c->s, &t, h2), FW_OK);
	assert_int_equal(fw_store_token_get(c->s, t2, &got), FW_OK);
	assert_memory_equal(&got, &t, sizeof t);
	memset(&got, 0, sizeof got);
	assert_int_equal(fw_store_token_find(c->s, h2, &got), FW_OK);
	assert_memory_equal(&got, &t, sizeof t);
	assert_int_equal(fw_store_token_find(c->s, h4, &got), FW_ERR_NOT_FOUND);

	/* Same id, or same hash: both clash. */
	assert_int_equal(fw_store_token_create(c->s, &t, h4), FW_ERR_EXISTS);
	t = token_fill(c, t3, FW_ROLE_MEMBER, "m", c->t0 + 5);
	assert_int_equal(fw_store_token_create(c->s, &t, h2), FW_ERR_EXISTS);
	assert_int_equal(fw_store_token_get(c->s, t3, &got), FW_ERR_NOT_FOUND);
	/* A token of a member that does not exist is refused. */
	t = token_fill(c, t3, FW_ROLE_MEMBER, "nobody", c->t0 + 5);
	assert_int_equal(fw_store_token_create(c->s, &t, h3), FW_ERR_INVALID);

	t = token_fill(c, t3, FW_ROLE_MEMBER, "m", c->t0 + 10);
	assert_int_equal(fw_store_token_create(c->s, &t, h3), FW_OK);
	t = token_fill(c, t1, FW_ROLE_ADMIN, NULL, c->t0 + 30);
	assert_int_equal(fw_store_token_create(c->s, &t, h1), FW_OK);
	assert_int_equal(fw_store_token_get(c->s, t1, &got), FW_OK);
	assert_string_equal(got.member_id, "");
	assert_int_equal(got.role, FW_ROLE_ADMIN);

	/* By creation time, not by id. */
	char m[FW_MODEL_ID_BYTES];
	mkid(c, m, "m");
	assert_int_equal(fw_store_token_list(c->s, m, &list, &n), FW_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].id, t3);
	assert_string_equal(list[1].id, t2);
	free(list);
	list = NULL;
	assert_int_equal(fw_store_token_list(c->s, NULL, &list, &n), FW_OK);
	const char *order[] = {t3, t2, t1};
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i].id, t1) || !strcmp(list[i].id, t2) || !strcmp(list[i].id, t3)) {
			assert_true(k < 3);
			assert_string_equal(list[i].id, order[k++]);
		}
	assert_int_equal(k, 3);
	free(list);

	/* Revocation keeps its first time. */
	assert_int_equal(fw_store_token_revoke(c->s, t1, c->t0 + 100), FW_OK);
	assert_int_equal(fw_store_token_revoke(c->s, t1, c->t0 + 200), FW_OK);
	assert_int_equal(fw_store_token_get(c->s, t1, &got), FW_OK);
	assert_int_equal(got.revoked_at, c->t0 + 100);
	assert_int_equal(fw_store_token_revoke(c->s, "tok_nosuchtoken0000", c->t0), FW_ERR_NOT_FOUND);

	assert_int_equal(fw_store_token_revoke(c->s, t3, c->t0 + 150), FW_OK);
	size_t revoked = 99;
	assert_int_equal(fw_store_token_revoke_member(c->s, m, c->t0 + 300, &revoked), FW_OK);
	assert_int_equal(revoked, 1); /* t2; t3 was revoked already */
	assert_int_equal(fw_store_token_get(c->s, t2, &got), FW_OK);
	assert_int_equal(got.revoked_at, c->t0 + 300);
	assert_int_equal(fw_store_token_get(c->s, t3, &got), FW_OK);
	assert_int_equal(got.revoked_at, c->t0 + 150);
	assert_int_equal(fw_store_token_revoke_member(c->s, m, c->t0 + 400, NULL), FW_OK);

	assert_int_equal(fw_store_token_touch(c->s, t2, c->t0 + 500), FW_OK);
	assert_int_equal(fw_store_token_touch(c->s, t2, c->t0 + 450), FW_OK); /* never backwards */
	assert_int_equal(fw_store_token_get(c->s, t2, &got), FW_OK);
	assert_int_equal(got.last_used_at, c->t0 + 500);
	assert_int_equal(fw_store_token_touch(c->s, "tok_nosuchtoken0000", c->t0), FW_ERR_NOT_FOUND);
}

/* --- advisories --------------------------------------------------------- */
static void test_advisories(void **state)
{
	struct ctx *c = *state;
	struct fw_advisory a, got, *list = NULL;
	size_t n = 0;
	char id[FW_MODEL_ID_BYTES];

	advisory_fill(c, &a, "zulu", FW_ADVISORY_DRAFT, 0);
	assert_int_equal(fw_store_advisory_create(c->s, &a), FW_OK);
	assert_int_equal(fw_store_advisory_get(c->s, a.id, &got), FW_OK);
	assert_memory_equal(&got, &a, sizeof a);
	assert_int_equal(fw_store_advisory_create(c->s, &a), FW_ERR_EXISTS);
	mkid(c, id, "nothing");
	assert_int_equal(fw_store_advisory_get(c->s, id, &got), FW_ERR_NOT_FOUND);

	a.status = FW_ADVISORY_SCHEDULED;
	a.public_at = c->t0 + 5000;
	/* Shorter lists; the entries past n are not stored, so clear them to
	 * compare whole structs. */
	a.ncves = 1;
	memset(a.cves[1], 0, sizeof a.cves[1]);
	a.nproducts = 0;
	memset(a.products[0], 0, sizeof a.products[0]);
	a.tags.n = 3;
	snprintf(a.tags.v[1], sizeof a.tags.v[1], "sharepoint");
	snprintf(a.tags.v[2], sizeof a.tags.v[2], "in-the-wild");
	memset(a.cvss_vector, 0, sizeof a.cvss_vector);
	a.cvss_score = 0.0;
	a.tlp = FW_TLP_RED;
	assert_int_equal(fw_store_advisory_update(c->s, &a, NULL), FW_OK);
	memset(&got, 0, sizeof got);
	assert_int_equal(fw_store_advisory_get(c->s, a.id, &got), FW_OK);
	a.revision++; /* every update counts */
	assert_memory_equal(&got, &a, sizeof a);

	struct fw_advisory ghost;
	advisory_fill(c, &ghost, "ghost", FW_ADVISORY_DRAFT, 0);
	assert_int_equal(fw_store_advisory_update(c->s, &ghost, NULL), FW_ERR_NOT_FOUND);

	advisory_make(c, "alpha", FW_ADVISORY_PUBLIC, c->t0);
	assert_int_equal(fw_store_advisory_list(c->s, &list, &n), FW_OK);
	const char *want[] = {"alpha", "zulu"};
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!mine(c, list[i].id))
			continue;
		assert_true(k < 2);
		mkid(c, id, want[k++]);
		assert_string_equal(list[i].id, id);
	}
	assert_int_equal(k, 2);
	free(list);
}

/* --- artifacts ---------------------------------------------------------- */
static void test_artifacts(void **state)
{
	struct ctx *c = *state;
	struct fw_artifact got, *list = NULL;
	struct fw_buf content;
	size_t n = 0;
	char adv[FW_MODEL_ID_BYTES], other[FW_MODEL_ID_BYTES];

	advisory_make(c, "adv", FW_ADVISORY_DRAFT, 0);
	advisory_make(c, "other", FW_ADVISORY_DRAFT, 0);
	mkid(c, adv, "adv");
	mkid(c, other, "other");

	/* Versions count per (advisory, kind). */
	assert_int_equal(artifact_make(c, "adv", FW_KIND_POC, "exploit v1"), 1);
	assert_int_equal(artifact_make(c, "adv", FW_KIND_SUMMARY, "summary one"), 1);
	assert_int_equal(artifact_make(c, "adv", FW_KIND_POC, "exploit v2 longer"), 2);
	assert_int_equal(artifact_make(c, "other", FW_KIND_POC, "other exploit"), 1);
	assert_int_equal(artifact_make(c, "adv", FW_KIND_SUMMARY, "summary two"), 2);
	assert_int_equal(artifact_make(c, "adv", FW_KIND_SUMMARY, ""), 3); /* empty content */

	fw_buf_init(&content, 1 << 20);
	assert_int_equal(fw_store_artifact_get(c->s, adv, FW_KIND_POC, 0, &got, &content), FW_OK);
	assert_int_equal(got.version, 2);
	assert_int_equal(got.kind, FW_KIND_POC);
	assert_string_equal(got.advisory_id, adv);
	assert_string_equal(got.media_type, "text/markdown");
	assert_int_equal(got.size, strlen("exploit v2 longer"));
	assert_int_equal(got.created_at, c->t0 + 3);
	assert_int_equal(content.len, strlen("exploit v2 longer"));
	assert_memory_equal(content.data, "exploit v2 longer", content.len);

	assert_int_equal(fw_store_artifact_get(c->s, adv, FW_KIND_POC, 1, &got, &content), FW_OK);
	assert_int_equal(got.version, 1);
	assert_string_equal(fw_buf_str(&content), "exploit v1");
	uint8_t sha[32];
	memset(sha, (int)strlen("exploit v1"), 32);
	assert_memory_equal(got.sha256, sha, 32);

	assert_int_equal(fw_store_artifact_get(c->s, adv, FW_KIND_SUMMARY, 0, &got, &content), FW_OK);
	assert_int_equal(got.version, 3);
	assert_int_equal(content.len, 0);
	assert_int_equal(fw_store_artifact_get(c->s, adv, FW_KIND_SUMMARY, 2, &got, NULL), FW_OK);
	assert_int_equal(got.version, 2);

	assert_int_equal(fw_store_artifact_get(c->s, adv, FW_KIND_POC, 3, &got, NULL), FW_ERR_NOT_FOUND);
	assert_int_equal(fw_store_artifact_get(c->s, adv, FW_KIND_DETECTION, 0, &got, NULL), FW_ERR_NOT_FOUND);
	assert_int_equal(fw_store_artifact_get(c->s, adv, (enum fw_kind)42, 0, &got, NULL), FW_ERR_INVALID);
	fw_buf_cleanup(&content);

	/* An artifact of an advisory that does not exist is refused. */
	struct fw_artifact a = {0};
	mkid(c, a.advisory_id, "missing");
	a.kind = FW_KIND_SUMMARY;
	assert_int_equal(fw_store_artifact_add(c->s, &a, (const uint8_t *)"x", 1), FW_ERR_INVALID);
	assert_int_equal(a.version, 0);

	/* Ordered by kind (summary first), then version. */
	assert_int_equal(fw_store_artifact_list(c->s, adv, &list, &n), FW_OK);
	assert_int_equal(n, 5);
	const struct {
		enum fw_kind k;
		int v;
	} want[] = {{FW_KIND_SUMMARY, 1}, {FW_KIND_SUMMARY, 2}, {FW_KIND_SUMMARY, 3}, {FW_KIND_POC, 1},
		    {FW_KIND_POC, 2}};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(list[i].kind, want[i].k);
		assert_int_equal(list[i].version, want[i].v);
	}
	free(list);
	list = NULL;
	mkid(c, other, "missing");
	assert_int_equal(fw_store_artifact_list(c->s, other, &list, &n), FW_OK);
	assert_int_equal(n, 0);
	free(list);
}

/* --- policy versions ---------------------------------------------------- */
static void test_policy(void **state)
{
	struct ctx *c = *state;
	struct fw_policy_version v = {0}, got, *list = NULL;
	struct fw_buf text;
	size_t n = 0;
	const char *p1 = "tier gold { grant summary at T-14d }\n";
	const char *p2 = "tier gold { grant summary, poc at T-7d }\n";

	/* Policy versions are global: a shared database may have some. */
	int before = 0;
	if (fw_store_policy_get(c->s, 0, &got, NULL) == FW_OK)
		before = got.version;
	else
		assert_int_equal(fw_store_policy_get(c->s, 0, &got, NULL), FW_ERR_NOT_FOUND);

	snprintf(v.author, sizeof v.author, "admin");
	snprintf(v.comment, sizeof v.comment, "first");
	memset(v.sha256, 0x11, 32);
	v.created_at = c->t0 + 1;
	assert_int_equal(fw_store_policy_add(c->s, &v, p1, strlen(p1)), FW_OK);
	assert_int_equal(v.version, before + 1);
	snprintf(v.comment, sizeof v.comment, "second");
	memset(v.sha256, 0x22, 32);
	v.created_at = c->t0 + 2;
	assert_int_equal(fw_store_policy_add(c->s, &v, p2, strlen(p2)), FW_OK);
	assert_int_equal(v.version, before + 2);

	fw_buf_init(&text, 1 << 16);
	assert_int_equal(fw_store_policy_get(c->s, 0, &got, &text), FW_OK);
	assert_int_equal(got.version, before + 2);
	assert_string_equal(got.comment, "second");
	assert_string_equal(fw_buf_str(&text), p2);
	assert_int_equal(fw_store_policy_get(c->s, before + 1, &got, &text), FW_OK);
	assert_int_equal(got.version, before + 1);
	assert_string_equal(got.author, "admin");
	assert_string_equal(got.comment, "first");
	assert_int_equal(got.created_at, c->t0 + 1);
	uint8_t sha[32];
	memset(sha, 0x11, 32);
	assert_memory_equal(got.sha256, sha, 32);
	assert_string_equal(fw_buf_str(&text), p1);
	fw_buf_cleanup(&text);
	assert_int_equal(fw_store_policy_get(c->s, before + 3, &got, NULL), FW_ERR_NOT_FOUND);

	assert_int_equal(fw_store_policy_list(c->s, &list, &n), FW_OK);
	assert_int_equal(n, (size_t)before + 2);
	assert_int_equal(list[0].version, before + 2); /* newest first */
	assert_int_equal(list[1].version, before + 1);
	free(list);
}

/* --- plan --------------------------------------------------------------- */
static void test_plan_write(void **state)
{
	struct ctx *c = *state;
	struct fw_plan_entry e[5], *list = NULL;
	size_t n = 0;
	char adv[FW_MODEL_ID_BYTES], other[FW_MODEL_ID_BYTES], m2[FW_MODEL_ID_BYTES];

	member_make(c, "m1", FW_MEMBER_ACTIVE);
	member_make(c, "m2", FW_MEMBER_ACTIVE);
	advisory_make(c, "adv", FW_ADVISORY_SCHEDULED, c->t0 + 1000);
	advisory_make(c, "other", FW_ADVISORY_SCHEDULED, c->t0 + 1000);
	mkid(c, adv, "adv");
	mkid(c, other, "other");
	mkid(c, m2, "m2");

	e[0] = plan_entry(c, "m2", "adv", FW_KIND_POC, false, c->t0 + 10);
	e[1] = plan_entry(c, "m1", "adv", FW_KIND_POC, false, c->t0 + 10);
	e[2] = plan_entry(c, "m1", "adv", FW_KIND_SUMMARY, false, c->t0 + 10);
	e[3] = plan_entry(c, "m2", "adv", FW_KIND_DESCRIPTION, true, 0);
	e[4] = plan_entry(c, "m1", "other", FW_KIND_SUMMARY, false, c->t0);
	assert_int_equal(plan_put(c, e, 5), FW_OK);

	/* By release time (withheld first), member, then kind in enum order. */
	assert_int_equal(fw_store_plan_list(c->s, adv, NULL, &list, &n), FW_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(&list[0], &e[3], sizeof e[3]);
	assert_memory_equal(&list[1], &e[2], sizeof e[2]);
	assert_memory_equal(&list[2], &e[1], sizeof e[1]);
	assert_memory_equal(&list[3], &e[0], sizeof e[0]);
	free(list);
	list = NULL;
	assert_int_equal(fw_store_plan_list(c->s, adv, m2, &list, &n), FW_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].member_id, m2);
	assert_string_equal(list[1].member_id, m2);
	free(list);
	list = NULL;

	/* Decisions are relative to T: moving T moves the plan. */
	struct fw_advisory a;
	assert_int_equal(fw_store_advisory_get(c->s, other, &a), FW_OK);
	a.public_at += 500;
	assert_int_equal(fw_store_advisory_update(c->s, &a, NULL), FW_OK);
	assert_int_equal(fw_store_plan_list(c->s, other, NULL, &list, &n), FW_OK);
	assert_int_equal(n, 1);
	assert_true(list[0].release_at == c->t0 + 500);
	free(list);
	list = NULL;

	/* A whole plan replaces everything: what is not in it is gone. */
	e[0] = plan_entry(c, "m2", "adv", FW_KIND_MITIGATION, false, c->t0 + 20);
	assert_int_equal(plan_put(c, e, 1), FW_OK);
	assert_int_equal(fw_store_plan_list(c->s, adv, NULL, &list, &n), FW_OK);
	assert_int_equal(n, 1);
	assert_memory_equal(&list[0], &e[0], sizeof e[0]);
	free(list);
	list = NULL;
	assert_int_equal(fw_store_plan_list(c->s, other, NULL, &list, &n), FW_OK);
	assert_int_equal(n, 0);
	free(list);
	list = NULL;

	/* A failing write changes nothing: an unknown member; a plan decided
	 * under a policy version that is no longer the newest. */
	struct fw_plan_entry bad[2];
	bad[0] = plan_entry(c, "m1", "adv", FW_KIND_POC, false, c->t0);
	bad[1] = plan_entry(c, "nobody", "adv", FW_KIND_POC, false, c->t0);
	assert_int_equal(plan_put(c, bad, 2), FW_ERR_INVALID);
	bad[1] = plan_entry(c, "m2", "adv", FW_KIND_POC, false, c->t0);
	bad[0].policy_version = bad[1].policy_version = e[0].policy_version + 1;
	assert_int_equal(plan_put(c, bad, 2), FW_ERR_BUSY);
	assert_int_equal(fw_store_plan_list(c->s, adv, NULL, &list, &n), FW_OK);
	assert_int_equal(n, 1);
	assert_memory_equal(&list[0], &e[0], sizeof e[0]);
	free(list);
	list = NULL;

	/* One member's plan: its class changes, and decisions for that class
	 * are added; nobody else's changes. */
	struct fw_plan_member pm;
	struct fw_plan_decision pd;
	struct fw_member m;
	memset(&pm, 0, sizeof pm);
	memset(&pd, 0, sizeof pd);
	assert_int_equal(fw_store_member_get(c->s, m2, &m), FW_OK);
	snprintf(pm.member_id, sizeof pm.member_id, "%s", m2);
	snprintf(pm.class_key, sizeof pm.class_key, "tier=gold");
	pm.member_revision = m.revision;
	snprintf(pd.advisory_id, sizeof pd.advisory_id, "%s", adv);
	snprintf(pd.class_key, sizeof pd.class_key, "tier=gold");
	pd.kind = FW_KIND_SUMMARY;
	pd.offset = -100;
	struct fw_plan_write w = {.scope = FW_PLAN_MEMBER, .policy_version = e[0].policy_version,
				  .members = &pm, .nmembers = 1, .decisions = &pd, .ndecisions = 1};
	assert_int_equal(fw_store_plan_write(c->s, &w), FW_OK);
	assert_int_equal(fw_store_plan_list(c->s, adv, m2, &list, &n), FW_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].kind, FW_KIND_SUMMARY);
	assert_true(list[0].release_at == c->t0 + 900);
	free(list);
	list = NULL;
	/* A member's write may not carry another class's decisions. */
	snprintf(pd.class_key, sizeof pd.class_key, "tier=silver");
	assert_int_equal(fw_store_plan_write(c->s, &w), FW_ERR_INVALID);
	/* A whole plan that claims to be complete but misses a member (m2,
	 * created before it was written) is refused, and changes nothing. */
	snprintf(pd.class_key, sizeof pd.class_key, "tier=gold");
	struct fw_plan_write all = {.scope = FW_PLAN_ALL, .complete = true, .policy_version = e[0].policy_version,
				    .decisions = &pd, .ndecisions = 1};
	assert_int_equal(fw_store_plan_write(c->s, &all), FW_ERR_BUSY);
	assert_int_equal(fw_store_plan_list(c->s, adv, m2, &list, &n), FW_OK);
	assert_int_equal(n, 1);
	free(list);
	list = NULL;
	/* An empty whole plan clears. */
	assert_int_equal(plan_put(c, NULL, 0), FW_OK);
	assert_int_equal(fw_store_plan_list(c->s, adv, NULL, &list, &n), FW_OK);
	assert_int_equal(n, 0);
	free(list);
}

/* --- release work ------------------------------------------------------- */
/* One scheduled advisory "adv", one draft "draft"; members of every status;
 * artifacts: summary and description of adv, summary of draft. */
static void due_fixture(const struct ctx *c)
{
	int64_t t = c->t0;
	member_make(c, "m1", FW_MEMBER_ACTIVE);
	member_make(c, "m2", FW_MEMBER_PROBATION);
	member_make(c, "m3", FW_MEMBER_SUSPENDED);
	member_make(c, "m4", FW_MEMBER_EXPELLED);
	advisory_make(c, "adv", FW_ADVISORY_SCHEDULED, t + 5000);
	advisory_make(c, "draft", FW_ADVISORY_DRAFT, t + 5000);
	artifact_make(c, "adv", FW_KIND_SUMMARY, "summary v1");
	artifact_make(c, "adv", FW_KIND_DESCRIPTION, "description v1");
	artifact_make(c, "draft", FW_KIND_SUMMARY, "draft summary");

	struct fw_plan_entry e[] = {
		plan_entry(c, "m1", "adv", FW_KIND_SUMMARY, false, t + 10),
		plan_entry(c, "m1", "adv", FW_KIND_DESCRIPTION, true, t + 10),  /* withheld */
		plan_entry(c, "m1", "adv", FW_KIND_DETECTION, false, t + 10),   /* no artifact */
		plan_entry(c, "m1", "adv", FW_KIND_POC, false, t + 10),         /* no artifact */
		plan_entry(c, "m2", "adv", FW_KIND_SUMMARY, false, t + 50),
		plan_entry(c, "m2", "adv", FW_KIND_DESCRIPTION, false, t + 2000), /* future */
		plan_entry(c, "m3", "adv", FW_KIND_SUMMARY, false, t + 10),     /* suspended */
		plan_entry(c, "m4", "adv", FW_KIND_SUMMARY, false, t + 10),     /* expelled */
		plan_entry(c, "m1", "draft", FW_KIND_SUMMARY, false, t + 10),   /* a draft */
	};
	assert_int_equal(plan_put(c, e, sizeof e / sizeof e[0]), FW_OK);
}

static void test_due_conditions(void **state)
{
	struct ctx *c = *state;
	struct fw_due due[16];
	int64_t t = c->t0, now = t + 100;

	due_fixture(c);
	/* Only m1 and m2's summaries: released, granted, with an artifact, of
	 * a scheduled advisory, to members in good standing. */
	assert_int_equal(due_mine(c, now, due, 16), 2);
	assert_due(c, &due[0], "m1", "adv", FW_KIND_SUMMARY, 1, t + 10);
	assert_due(c, &due[1], "m2", "adv", FW_KIND_SUMMARY, 1, t + 50);
	/* Release time is inclusive. */
	assert_int_equal(due_mine(c, t + 10, due, 16), 1);
	assert_int_equal(due_mine(c, t + 9, due, 16), 0);
	assert_int_equal(due_mine(c, t + 2000, due, 16), 3);
	assert_due(c, &due[2], "m2", "adv", FW_KIND_DESCRIPTION, 1, t + 2000);

	/* max bounds the list. */
	struct fw_due *one = NULL;
	size_t n = 0;
	assert_int_equal(fw_store_due_list(c->s, now, 1, &one, &n), FW_OK);
	assert_int_equal(n, 1);
	free(one);

	/* A delivered pair is no longer due, and a second delivery is refused. */
	int64_t id = 0;
	assert_int_equal(deliver(c, &due[0], now, &id), FW_OK);
	assert_int_equal(deliver(c, &due[0], now + 1, NULL), FW_ERR_EXISTS);
	assert_int_equal(due_mine(c, now, due, 16), 1);
	assert_due(c, &due[0], "m2", "adv", FW_KIND_SUMMARY, 1, t + 50);

	/* A new version after delivery: the newest is due for everyone whose
	 * time has come, and the superseded version is not offered. */
	assert_int_equal(artifact_make(c, "adv", FW_KIND_SUMMARY, "summary v2"), 2);
	assert_int_equal(due_mine(c, now, due, 16), 2);
	assert_due(c, &due[0], "m1", "adv", FW_KIND_SUMMARY, 2, t + 10);
	assert_due(c, &due[1], "m2", "adv", FW_KIND_SUMMARY, 2, t + 50);

	/* A member changed after it was classed gets nothing until it is
	 * classed again: even two changes within one second are told apart. */
	{
		char id2[FW_MODEL_ID_BYTES];
		struct fw_member m;
		mkid(c, id2, "m2");
		assert_int_equal(fw_store_member_get(c->s, id2, &m), FW_OK);
		assert_int_equal(fw_store_member_update(c->s, &m), FW_OK); /* same updated_at */
		assert_int_equal(due_mine(c, now, due, 16), 1);
		assert_due(c, &due[0], "m1", "adv", FW_KIND_SUMMARY, 2, t + 10);
		member_set_status(c, "m2", FW_MEMBER_PROBATION);
		assert_int_equal(due_mine(c, now, due, 16), 2);
	}

	/* Suspending a member stops its releases; reinstating resumes them. */
	member_set_status(c, "m2", FW_MEMBER_SUSPENDED);
	assert_int_equal(due_mine(c, now, due, 16), 1);
	assert_due(c, &due[0], "m1", "adv", FW_KIND_SUMMARY, 2, t + 10);
	member_set_status(c, "m2", FW_MEMBER_PROBATION);
	assert_int_equal(due_mine(c, now, due, 16), 2);

	/* Public advisories are due as scheduled ones; drafts never. */
	advisory_set_status(c, "draft", FW_ADVISORY_PUBLIC);
	assert_int_equal(due_mine(c, now, due, 16), 3);
	assert_due(c, &due[1], "m1", "draft", FW_KIND_SUMMARY, 1, t + 10);
	advisory_set_status(c, "adv", FW_ADVISORY_DRAFT);
	assert_int_equal(due_mine(c, now, due, 16), 1);
	assert_due(c, &due[0], "m1", "draft", FW_KIND_SUMMARY, 1, t + 10);
}

static void test_next_wakeup(void **state)
{
	struct ctx *c = *state;
	int64_t t = c->t0, w = -1;

	/* Nothing of this test yet, and everything older lies in the past. */
	assert_int_equal(fw_store_next_wakeup(c->s, t, &w), FW_OK);
	assert_int_equal(w, 0);

	due_fixture(c);
	/* Before anything: m1's summary at t+10 (the withheld and artifact-less
	 * entries at t+10 would not wake anyone, nor would m3 and m4). */
	assert_int_equal(fw_store_next_wakeup(c->s, t, &w), FW_OK);
	assert_int_equal(w, t + 10);
	assert_int_equal(fw_store_next_wakeup(c->s, t + 10, &w), FW_OK);
	assert_int_equal(w, t + 50);
	assert_int_equal(fw_store_next_wakeup(c->s, t + 50, &w), FW_OK);
	assert_int_equal(w, t + 2000);
	/* Then the advisory's public time. */
	assert_int_equal(fw_store_next_wakeup(c->s, t + 2000, &w), FW_OK);
	assert_int_equal(w, t + 5000);
	assert_int_equal(fw_store_next_wakeup(c->s, t + 5000, &w), FW_OK);
	assert_int_equal(w, 0);

	/* A suspended member wakes nobody. */
	member_set_status(c, "m1", FW_MEMBER_SUSPENDED);
	assert_int_equal(fw_store_next_wakeup(c->s, t, &w), FW_OK);
	assert_int_equal(w, t + 50);
	member_set_status(c, "m1", FW_MEMBER_ACTIVE);

	/* Already delivered in its newest version: no wakeup for it. */
	struct fw_due d = {.kind = FW_KIND_SUMMARY, .version = 1, .release_at = t + 10};
	mkid(c, d.member_id, "m1");
	mkid(c, d.advisory_id, "adv");
	assert_int_equal(deliver(c, &d, t, NULL), FW_OK);
	assert_int_equal(fw_store_next_wakeup(c->s, t, &w), FW_OK);
	assert_int_equal(w, t + 50);
	/* ... until a newer version exists. */
	artifact_make(c, "adv", FW_KIND_SUMMARY, "summary v2");
	assert_int_equal(fw_store_next_wakeup(c->s, t, &w), FW_OK);
	assert_int_equal(w, t + 10);

	/* A draft advisory wakes nobody, not even for its public time. */
	advisory_set_status(c, "adv", FW_ADVISORY_DRAFT);
	assert_int_equal(fw_store_next_wakeup(c->s, t, &w), FW_OK);
	assert_int_equal(w, 0);
	/* A public one wakes for releases, but has no public time to reach. */
	advisory_set_status(c, "adv", FW_ADVISORY_PUBLIC);
	assert_int_equal(fw_store_next_wakeup(c->s, t + 2000, &w), FW_OK);
	assert_int_equal(w, 0);
	assert_int_equal(fw_store_next_wakeup(c->s, t + 1999, &w), FW_OK);
	assert_int_equal(w, t + 2000);
}

static void test_publish_due(void **state)
{
	struct ctx *c = *state;
	struct fw_advisory a;
	char id[FW_MODEL_ID_BYTES];
	int64_t t = c->t0;
	size_t n = 0;

	advisory_make(c, "past", FW_ADVISORY_SCHEDULED, t + 10);
	advisory_make(c, "now", FW_ADVISORY_SCHEDULED, t + 100);
	advisory_make(c, "future", FW_ADVISORY_SCHEDULED, t + 101);
	advisory_make(c, "draft", FW_ADVISORY_DRAFT, t + 10);
	advisory_make(c, "unset", FW_ADVISORY_SCHEDULED, 0);

	assert_int_equal(fw_store_advisory_publish_due(c->s, t + 100, &n), FW_OK);
	assert_true(n >= 2);
	const struct {
		const char *id;
		enum fw_advisory_status st;
	} want[] = {{"past", FW_ADVISORY_PUBLIC},
		    {"now", FW_ADVISORY_PUBLIC},
		    {"future", FW_ADVISORY_SCHEDULED},
		    {"draft", FW_ADVISORY_DRAFT},
		    {"unset", FW_ADVISORY_SCHEDULED}};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		mkid(c, id, want[i].id);
		assert_int_equal(fw_store_advisory_get(c->s, id, &a), FW_OK);
		assert_int_equal(a.status, want[i].st);
		assert_int_equal(a.updated_at, want[i].st == FW_ADVISORY_PUBLIC ? t + 100 : t + 2);
	}
	/* Nothing is left due at that time; one second later the next one. */
	assert_int_equal(fw_store_advisory_publish_due(c->s, t + 100, &n), FW_OK);
	assert_int_equal(n, 0);
	assert_int_equal(fw_store_advisory_publish_due(c->s, t + 101, &n), FW_OK);
	assert_int_equal(n, 1);
	assert_int_equal(fw_store_advisory_publish_due(c->s, t + 200, NULL), FW_OK);
}

/* --- deliveries --------------------------------------------------------- */
static void test_deliveries(void **state)
{
	struct ctx *c = *state;
	struct fw_due due[16];
	struct fw_delivery got, *list = NULL;
	struct fw_buf sealed, sig;
	int64_t t = c->t0, now = t + 3000, ids[3];
	size_t n = 0;

	due_fixture(c);
	assert_int_equal(due_mine(c, now, due, 16), 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(deliver(c, &due[i], now + (int64_t)i, &ids[i]), FW_OK);
	assert_true(ids[0] > 0 && ids[1] > ids[0] && ids[2] > ids[1]);
	assert_int_equal(deliver(c, &due[1], now, NULL), FW_ERR_EXISTS);

	assert_int_equal(fw_store_delivery_get(c->s, ids[1], &got), FW_OK);
	assert_int_equal(got.id, ids[1]);
	assert_string_equal(got.member_id, due[1].member_id);
	assert_string_equal(got.advisory_id, due[1].advisory_id);
	assert_int_equal(got.kind, due[1].kind);
	assert_int_equal(got.version, due[1].version);
	assert_int_equal(got.created_at, now + 1);
	assert_int_equal(got.first_read_at, 0);
	assert_int_equal(got.size, sizeof sealed_bytes);
	uint8_t h[32];
	memset(h, 0xa5, 32);
	assert_memory_equal(got.sha256_sealed, h, 32);
	memset(h, 0x5a, 32);
	assert_memory_equal(got.sha256_plain, h, 32);
	assert_int_equal(fw_store_delivery_get(c->s, ids[2] + 1000000, &got), FW_ERR_NOT_FOUND);

	fw_buf_init(&sealed, 1 << 20);
	fw_buf_init(&sig, 4096);
	assert_int_equal(fw_store_delivery_content(c->s, ids[0], &sealed, &sig), FW_OK);
	assert_int_equal(sealed.len, sizeof sealed_bytes);
	assert_memory_equal(sealed.data, sealed_bytes, sizeof sealed_bytes);
	assert_string_equal(fw_buf_str(&sig), "untrusted comment: sig\nRWQ=\n");
	assert_int_equal(fw_store_delivery_content(c->s, ids[0], NULL, &sig), FW_OK);
	assert_int_equal(fw_store_delivery_content(c->s, ids[2] + 1000000, &sealed, NULL), FW_ERR_NOT_FOUND);

	/* Without a signature, and of an artifact version that does not exist. */
	artifact_make(c, "adv", FW_KIND_SUMMARY, "summary v2");
	struct fw_delivery d;
	struct fw_due v2 = due[0];
	v2.version = 2;
	delivery_fill(&d, &v2, now);
	assert_int_equal(fw_store_delivery_insert(c->s, &d, sealed_bytes, 5, NULL), FW_OK);
	assert_int_equal(d.size, 5);
	assert_int_equal(fw_store_delivery_content(c->s, d.id, &sealed, &sig), FW_OK);
	assert_int_equal(sealed.len, 5);
	assert_int_equal(sig.len, 0);
	v2.version = 9;
	delivery_fill(&d, &v2, now);
	assert_int_equal(fw_store_delivery_insert(c->s, &d, sealed_bytes, 5, NULL), FW_ERR_INVALID);
	fw_buf_cleanup(&sealed);
	fw_buf_cleanup(&sig);

	/* Filters, paging. */
	struct fw_delivery_filter f = {.member_id = due[0].member_id};
	assert_int_equal(fw_store_delivery_list(c->s, &f, &list, &n), FW_OK);
	assert_int_equal(n, 2); /* m1: summary v1 and v2 */
	assert_int_equal(list[0].id, ids[0]);
	assert_int_equal(list[1].version, 2);
	free(list);
	list = NULL;
	f = (struct fw_delivery_filter){.advisory_id = due[0].advisory_id, .after_id = ids[0], .limit = 2};
	assert_int_equal(fw_store_delivery_list(c->s, &f, &list, &n), FW_OK);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, ids[1]);
	assert_int_equal(list[1].id, ids[2]);
	free(list);
	list = NULL;
	f = (struct fw_delivery_filter){.member_id = due[2].member_id, .advisory_id = due[2].advisory_id};
	assert_int_equal(fw_store_delivery_list(c->s, &f, &list, &n), FW_OK);
	assert_int_equal(n, 2); /* m2: summary and description */
	assert_int_equal(list[0].id, ids[1]);
	assert_int_equal(list[1].id, ids[2]);
	free(list);
	list = NULL;
	f = (struct fw_delivery_filter){.after_id = ids[0] - 1, .limit = 1};
	assert_int_equal(fw_store_delivery_list(c->s, &f, &list, &n), FW_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, ids[0]);
	free(list);
	list = NULL;
	assert_int_equal(fw_store_delivery_list(c->s, NULL, &list, &n), FW_OK);
	assert_true(n >= 4);
	free(list);
}

static void test_delivery_reads(void **state)
{
	struct ctx *c = *state;
	struct fw_due due[16];
	struct fw_delivery got;
	struct fw_delivery_read r = {0}, *list = NULL;
	int64_t t = c->t0, id = 0;
	size_t n = 0;

	due_fixture(c);
	assert_int_equal(due_mine(c, t + 100, due, 16), 2);
	assert_int_equal(deliver(c, &due[0], t + 100, &id), FW_OK);

	r.delivery_id = id;
	snprintf(r.token_id, sizeof r.token_id, "tok_0123456789abcdef");
	snprintf(r.member_id, sizeof r.member_id, "%s", due[0].member_id);
	r.at = t + 200;
	snprintf(r.remote, sizeof r.remote, "192.0.2.7");
	snprintf(r.what, sizeof r.what, "copy");
	assert_int_equal(fw_store_delivery_read_add(c->s, &r), FW_OK);
	assert_int_equal(fw_store_delivery_get(c->s, id, &got), FW_OK);
	assert_int_equal(got.first_read_at, t + 200);

	/* A later read is recorded but the first read time stays. An admin
	 * read has no member. */
	struct fw_delivery_read admin = r;
	memset(admin.member_id, 0, sizeof admin.member_id);
	admin.at = t + 300;
	snprintf(admin.what, sizeof admin.what, "minisig");
	snprintf(admin.remote, sizeof admin.remote, "2001:db8::1");
	assert_int_equal(fw_store_delivery_read_add(c->s, &admin), FW_OK);
	assert_int_equal(fw_store_delivery_get(c->s, id, &got), FW_OK);
	assert_int_equal(got.first_read_at, t + 200);

	assert_int_equal(fw_store_delivery_read_list(c->s, id, &list, &n), FW_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(&list[0], &r, sizeof r);
	assert_memory_equal(&list[1], &admin, sizeof admin);
	free(list);

	r.delivery_id = id + 1000000;
	assert_int_equal(fw_store_delivery_read_add(c->s, &r), FW_ERR_NOT_FOUND);
}

/* --- exactly once under concurrency ------------------------------------- */
#define WORKERS 4
#define CMEMBERS 5

/* Every worker got the same due list, as schedulers on several nodes that
 * looked at the same moment would; they race to deliver all of it. */
struct worker {
	const struct ctx *c;
	pthread_barrier_t *go;
	const struct fw_due *due;
	size_t n;
	int reverse;
	int delivered, existed, failed;
};

static void *deliver_thread(void *arg)
{
	struct worker *w = arg;
	pthread_barrier_wait(w->go);
	for (size_t k = 0; k < w->n; k++) {
		const struct fw_due *d = &w->due[w->reverse ? w->n - 1 - k : k];
		enum fw_err r = deliver(w->c, d, w->c->t0 + 100, NULL);
		if (r == FW_OK)
			w->delivered++;
		else if (r == FW_ERR_EXISTS)
			w->existed++;
		else
			w->failed++;
	}
	return NULL;
}

static void test_concurrent_delivery(void **state)
{
	struct ctx *c = *state;
	char adv[FW_MODEL_ID_BYTES], name[16];
	struct fw_plan_entry e[CMEMBERS * FW_KIND_COUNT];
	size_t ne = 0;

	advisory_make(c, "adv", FW_ADVISORY_SCHEDULED, c->t0 + 5000);
	mkid(c, adv, "adv");
	for (int k = 0; k < FW_KIND_COUNT; k++)
		artifact_make(c, "adv", (enum fw_kind)k, "content");
	for (int i = 0; i < CMEMBERS; i++) {
		snprintf(name, sizeof name, "m%d", i);
		member_make(c, name, FW_MEMBER_ACTIVE);
		for (int k = 0; k < FW_KIND_COUNT; k++)
			e[ne++] = plan_entry(c, name, "adv", (enum fw_kind)k, false, c->t0 + i);
	}
	assert_int_equal(plan_put(c, e, ne), FW_OK);
	struct fw_due due[CMEMBERS * FW_KIND_COUNT + 1];
	assert_int_equal(due_mine(c, c->t0 + 100, due, CMEMBERS * FW_KIND_COUNT), ne);

	pthread_barrier_t go;
	pthread_t th[WORKERS];
	struct worker w[WORKERS];
	assert_int_equal(pthread_barrier_init(&go, NULL, WORKERS), 0);
	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){.c = c, .go = &go, .due = due, .n = ne, .reverse = i % 2};
		assert_int_equal(pthread_create(&th[i], NULL, deliver_thread, &w[i]), 0);
	}
	for (int i = 0; i < WORKERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);

	int delivered = 0, existed = 0;
	for (int i = 0; i < WORKERS; i++) {
		assert_int_equal(w[i].failed, 0);
		delivered += w[i].delivered;
		existed += w[i].existed;
	}
	assert_int_equal(delivered, (int)ne);
	assert_int_equal(existed, (WORKERS - 1) * (int)ne);

	/* Each pair exactly once, and nothing left due. */
	assert_int_equal(due_mine(c, c->t0 + 100, due, 1), 0);
	struct fw_delivery *list = NULL;
	size_t n = 0;
	struct fw_delivery_filter f = {.advisory_id = adv};
	assert_int_equal(fw_store_delivery_list(c->s, &f, &list, &n), FW_OK);
	assert_int_equal(n, ne);
	int seen[CMEMBERS][FW_KIND_COUNT] = {{0}};
	for (size_t i = 0; i < n; i++) {
		int m = list[i].member_id[strlen(list[i].member_id) - 1] - '0';
		assert_true(m >= 0 && m < CMEMBERS);
		seen[m][list[i].kind]++;
	}
	for (int i = 0; i < CMEMBERS; i++)
		for (int k = 0; k < FW_KIND_COUNT; k++)
			assert_int_equal(seen[i][k], 1);
	free(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_urls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_first_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_advisories, setup, teardown),
		cmocka_unit_test_setup_teardown(test_artifacts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_due_conditions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_wakeup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deliveries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_delivery, setup, teardown),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
