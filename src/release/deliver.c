/* Executing the plan: seal, sign and store each due copy exactly once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/time.h"
#include "release/internal.h"
#include "tlog/tlog.h"

#define MAX_ARTIFACT_CACHE_BYTES (1024u * 1024u * 1024u)

/* The plaintext of the artifact version the current batch works on: a batch
 * is ordered so that many members in a row usually share one version, and
 * decrypting it once per batch instead of once per member matters for
 * fan-out to thousands of members. */
struct artifact_cache {
	struct fw_artifact meta;
	bool valid;
	struct fw_buf plain;
	struct fw_release_mark_version mark; /* the version's fingerprint, if any */
};

void fw_release_trusted_comment(const struct fw_delivery *d, char out[FW_RELEASE_COMMENT_BYTES])
{
	char hex[65];
	fw_crypto_hex(d->sha256_plain, 32, hex);
	snprintf(out, FW_RELEASE_COMMENT_BYTES,
		 "forewarn advisory=%s kind=%s version=%d member=%s sha256=%s", d->advisory_id,
		 fw_kind_name(d->kind), d->version, d->member_id, hex);
}

/* The associated data that binds an artifact's ciphertext at rest to its
 * advisory, kind and recorded plaintext hash, so rows cannot be swapped
 * between versions or advisories unnoticed. */
static void artifact_ad(const char *advisory_id, enum fw_kind kind, const uint8_t sha256[32], char out[160])
{
	char hex[65];
	fw_crypto_hex(sha256, 32, hex);
	snprintf(out, 160, "artifact:%s/%s/%s", advisory_id, fw_kind_name(kind), hex);
}

enum fw_err fw_release_artifact_add(struct fw_release *rel, struct fw_artifact *a, const uint8_t *content,
				    size_t n)
{
	struct fw_buf enc;
	char ad[160];
	enum fw_err r;
	/* A markable kind's text must be a template: refused before storing. */
	if ((r = fw_release_mark_inspect(rel, a->kind, content, n, NULL)) != FW_OK)
		return r;
	fw_buf_init(&enc, n + 64);
	a->size = n;
	fw_crypto_sha256(content, n, a->sha256);
	artifact_ad(a->advisory_id, a->kind, a->sha256, ad);
	if ((r = fw_crypto_seal_at_rest(rel->master_key, ad, content, n, &enc)) == FW_OK &&
	    (r = fw_store_artifact_add(rel->store, a, enc.data, enc.len)) == FW_OK) {
		fw_release_mark_record(rel, a, content, n);
		fw_release_wake(rel);
	}
	fw_buf_cleanup(&enc);
	return r;
}

enum fw_err fw_release_artifact_open(struct fw_release *rel, const char *advisory_id, enum fw_kind kind,
				     int version, struct fw_artifact *meta, struct fw_buf *plain)
{
	struct fw_buf enc;
	struct fw_artifact m;
	char ad[160];
	enum fw_err r;

	fw_buf_init(&enc, MAX_ARTIFACT_CACHE_BYTES);
	if ((r = fw_store_artifact_get(rel->store, advisory_id, kind, version, &m, &enc)) != FW_OK)
		goto out;
	artifact_ad(advisory_id, kind, m.sha256, ad);
	if ((r = fw_crypto_open_at_rest(rel->master_key, ad, enc.data, enc.len, plain)) != FW_OK) {
		fw_log_error("release", "artifact %s cannot be decrypted: wrong master key or tampered row", ad);
		goto out;
	}
	*meta = m;
out:
	fw_buf_cleanup(&enc);
	return r;
}

static enum fw_err load_artifact(struct fw_release *rel, const struct fw_due *due,
				 struct artifact_cache *c)
{
	enum fw_err r;

	if (c->valid && c->meta.kind == due->kind && c->meta.version == due->version &&
	    strcmp(c->meta.advisory_id, due->advisory_id) == 0)
		return FW_OK;
	c->valid = false;
	fw_release_mark_version_cleanup(&c->mark);
	fw_buf_cleanup_secret(&c->plain);
	fw_buf_init(&c->plain, MAX_ARTIFACT_CACHE_BYTES);
	if ((r = fw_release_artifact_open(rel, due->advisory_id, due->kind, due->version, &c->meta, &c->plain)) !=
	    FW_OK)
		return r;
	/* The template is parsed and the code derived once per version, too. */
	if ((r = fw_release_mark_prepare(rel, &c->meta, c->plain.data, c->plain.len, &c->mark)) != FW_OK)
		return r;
	c->valid = true;
	return FW_OK;
}

/* Copies sealed and signed but not yet stored; stored together in one
 * transaction (group commit), so a batch costs one fsync, not one per copy.
 * Sealing is spread over worker threads, WINDOW copies at a time, which
 * bounds the memory of copies in flight to WINDOW large artifacts; pending
 * copies are flushed at FW_RELEASE_BATCH copies or PENDING_MAX_BYTES. */
#define PENDING_MAX_BYTES (64u * 1024u * 1024u)
#define WINDOW 16
#define MAX_WORKERS 8

struct pending {
	struct fw_store_copy c[FW_RELEASE_BATCH];
	struct fw_buf sealed[FW_RELEASE_BATCH];
	struct fw_buf sig[FW_RELEASE_BATCH];
	struct fw_buf entry[FW_RELEASE_BATCH]; /* the transparency-log entry */
	bool ok[FW_RELEASE_BATCH];
	size_t n;
	size_t bytes;
};

/* Renders, seals and signs one copy into pending slot `slot`. */
static enum fw_err seal_one(struct fw_release *rel, const struct fw_due *due, int64_t now,
			    struct artifact_cache *cache, struct pending *p, size_t slot)
{
	struct fw_member m;
	struct fw_buf scratch;
	uint8_t pk[32];
	const uint8_t *copy;
	size_t copy_len;
	char tc[FW_RELEASE_COMMENT_BYTES];
	struct fw_store_copy *c = &p->c[slot];
	struct fw_buf *sealed = &p->sealed[slot], *sig = &p->sig[slot];
	enum fw_err r;

	fw_buf_init(&scratch, MAX_ARTIFACT_CACHE_BYTES);
	fw_buf_init(sealed, FW_CRYPTO_AGE_MAX_BYTES);
	fw_buf_init(sig, 4096);
	fw_buf_init(&p->entry[slot], FW_TLOG_ENTRY_MAX);
	if ((r = fw_store_member_get(rel->store, due->member_id, &m)) != FW_OK)
		goto out;
	if ((r = load_artifact(rel, due, cache)) != FW_OK)
		goto out;
	if ((r = fw_release_render(&cache->meta, cache->plain.data, cache->plain.len, &cache->mark, &m,
				   &scratch, &copy, &copy_len)) != FW_OK)
		goto out;
	if ((r = fw_age_recipient_parse(m.age_recipient, pk)) != FW_OK)
		goto out;
	if ((r = fw_age_seal(pk, copy, copy_len, sealed)) != FW_OK)
		goto out;

	memset(c, 0, sizeof *c);
	struct fw_delivery *d = &c->d;
	snprintf(d->member_id, sizeof d->member_id, "%s", m.id);
	snprintf(d->advisory_id, sizeof d->advisory_id, "%s", due->advisory_id);
	d->kind = due->kind;
	d->version = due->version;
	d->created_at = now;
	/* An unmarked copy is the artifact itself, whose hash is on record. */
	if (copy == cache->plain.data && copy_len == cache->plain.len)
		memcpy(d->sha256_plain, cache->meta.sha256, 32);
	else
		fw_crypto_sha256(copy, copy_len, d->sha256_plain);
	fw_crypto_sha256(sealed->data, sealed->len, d->sha256_sealed);
	fw_release_trusted_comment(d, tc);
	if ((r = fw_minisign_sign(rel->sign_key, sealed->data, sealed->len,
				  "signature from forewarn program key", tc, sig)) != FW_OK)
		goto out;
	c->sealed = sealed->data;
	c->n = sealed->len;
	c->minisig = fw_buf_str(sig);
	if (rel->log) {
		/* The entry names no member: see fw_tlog_entry_delivery. The store
		 * sequences it in the delivery's own transaction. */
		if ((r = fw_tlog_entry_delivery(rel->master_key, d, &p->entry[slot])) != FW_OK)
			goto out;
		c->entry = p->entry[slot].data;
		c->entry_len = p->entry[slot].len;
		fw_tlog_leaf_hash(c->entry, c->entry_len, c->leaf_hash);
	}
out:
	fw_buf_cleanup_secret(&scratch);
	p->ok[slot] = r == FW_OK;
	if (r != FW_OK) {
		/* One bad member key must not block everyone else's copies. */
		fw_log_error("release", "cannot deliver %s/%s v%d to %s: %s %s", due->advisory_id,
			     fw_kind_name(due->kind), due->version, due->member_id, fw_strerror(r),
			     fw_err_detail());
		fw_buf_cleanup(sealed);
		fw_buf_cleanup(sig);
		fw_buf_cleanup(&p->entry[slot]);
	}
	return r;
}

struct worker {
	pthread_t thread;
	struct fw_release *rel;
	const struct fw_due *due; /* the window */
	size_t n, first, step;
	int64_t now;
	struct pending *p;
	size_t base; /* pending slot of due[0] */
	struct artifact_cache cache; /* each worker decrypts on its own */
};

static void *work(void *arg)
{
	struct worker *w = arg;
	fw_log_set_request("scheduler");
	for (size_t i = w->first; i < w->n; i += w->step)
		(void)seal_one(w->rel, &w->due[i], w->now, &w->cache, w->p, w->base + i);
	return NULL;
}

/* Seals a window of due copies in parallel into pending slots p->n…, then
 * keeps the ones that worked. */
static void seal_window(struct worker *ws, size_t nw, const struct fw_due *due, size_t n, int64_t now,
			struct pending *p)
{
	size_t started = 0;
	for (size_t w = 0; w < nw && w < n; w++) {
		ws[w].due = due;
		ws[w].n = n;
		ws[w].first = w;
		ws[w].step = nw;
		ws[w].now = now;
		ws[w].p = p;
		ws[w].base = p->n;
		/* The last worker runs on this thread; if a thread cannot be
		 * started, this thread does that share too. */
		if (w + 1 < nw && w + 1 < n && pthread_create(&ws[w].thread, NULL, work, &ws[w]) == 0) {
			started |= (size_t)1 << w;
			continue;
		}
		work(&ws[w]);
	}
	for (size_t w = 0; w < nw; w++)
		if (started & ((size_t)1 << w))
			pthread_join(ws[w].thread, NULL);
	/* Compact: move the sealed copies down over the failed ones. */
	size_t out = p->n;
	for (size_t i = p->n; i < p->n + n; i++) {
		if (!p->ok[i])
			continue;
		if (out != i) {
			p->c[out] = p->c[i];
			p->sealed[out] = p->sealed[i];
			p->sig[out] = p->sig[i];
			p->entry[out] = p->entry[i];
			p->ok[out] = true;
		}
		p->bytes += p->c[out].n;
		out++;
	}
	p->n = out;
}

/* Stores the pending copies in one transaction; counts the new ones. */
static enum fw_err flush(struct fw_release *rel, struct pending *p, size_t *delivered)
{
	enum fw_err r = fw_store_delivery_insert_many(rel->store, p->c, p->n);
	for (size_t i = 0; i < p->n; i++) {
		const struct fw_delivery *d = &p->c[i].d;
		if (r == FW_OK && p->c[i].inserted) {
			(*delivered)++;
			fw_log_info("release", "delivered %s/%s v%d to %s (delivery %lld)", d->advisory_id,
				    fw_kind_name(d->kind), d->version, d->member_id, (long long)d->id);
		}
		fw_buf_cleanup(&p->sealed[i]);
		fw_buf_cleanup(&p->sig[i]);
		fw_buf_cleanup(&p->entry[i]);
	}
	if (r == FW_OK && p->n)
		fw_tlog_log_wake(rel->log); /* one checkpoint for the batch */
	p->n = 0;
	p->bytes = 0;
	return r;
}

static bool stopping(struct fw_release *rel)
{
	pthread_mutex_lock(&rel->lock);
	bool stop = rel->stop;
	pthread_mutex_unlock(&rel->lock);
	return stop;
}

/* Seals and stores one batch of due copies. */
static enum fw_err run_batch(struct fw_release *rel, struct worker *ws, size_t nw, const struct fw_due *due,
			     size_t n, int64_t now, struct pending *p, size_t *delivered)
{
	enum fw_err r = FW_OK;
	for (size_t i = 0; i < n && r == FW_OK; i += WINDOW) {
		size_t k = n - i < WINDOW ? n - i : WINDOW;
		seal_window(ws, nw, due + i, k, now, p);
		if (p->n + WINDOW > FW_RELEASE_BATCH || p->bytes >= PENDING_MAX_BYTES)
			r = flush(rel, p, delivered);
	}
	if (r == FW_OK)
		r = flush(rel, p, delivered);
	return r;
}

enum fw_err fw_release_run_due(struct fw_release *rel, int64_t now, size_t *delivered)
{
	struct pending *p = calloc(1, sizeof *p);
	struct worker ws[MAX_WORKERS];
	size_t nw = rel->workers, total = 0, npub = 0;
	enum fw_err r;

	if (!p)
		return FW_ERR_NOMEM;
	memset(ws, 0, sizeof ws);
	for (size_t w = 0; w < nw; w++) {
		ws[w].rel = rel;
		fw_buf_init(&ws[w].cache.plain, MAX_ARTIFACT_CACHE_BYTES);
	}
	if ((r = fw_store_advisory_publish_due(rel->store, now, &npub)) != FW_OK)
		goto out;
	if (npub)
		fw_log_info("release", "%zu advisories became public", npub);
	for (;;) {
		struct fw_due *due = NULL;
		size_t n = 0, before = total;
		/* Claimed, so that other nodes on the database seal other copies. */
		if ((r = fw_store_due_claim(rel->store, now, FW_RELEASE_BATCH, rel->claim_lease_s, &due, &n)) != FW_OK)
			goto out;
		r = run_batch(rel, ws, nw, due, n, now, p, &total);
		free(due);
		if (n && fw_store_due_unclaim(rel->store) != FW_OK) /* else they expire */
			fw_log_warn("release", "cannot end this node's claims: %s", fw_err_detail());
		if (r != FW_OK)
			goto out;
		/* Stop when the batch was the last one, or when nothing in it could be
		 * delivered (the failures are logged and retried at the next wake-up). */
		if (n < FW_RELEASE_BATCH || total == before)
			break;
		if (stopping(rel))
			break; /* the batch in hand is finished; the rest waits for restart */
	}
out:
	for (size_t i = 0; i < p->n; i++) { /* unstored after an error: made again later */
		fw_buf_cleanup(&p->sealed[i]);
		fw_buf_cleanup(&p->sig[i]);
		fw_buf_cleanup(&p->entry[i]);
	}
	free(p);
	for (size_t w = 0; w < nw; w++) {
		fw_buf_cleanup_secret(&ws[w].cache.plain);
		fw_release_mark_version_cleanup(&ws[w].cache.mark);
	}
	if (delivered)
		*delivered = total;
	return r;
}

void fw_release_set_log(struct fw_release *rel, struct fw_tlog_log *log) { rel->log = log; }
