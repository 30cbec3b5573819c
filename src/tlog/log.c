/* The log service: integrates sequenced entries into the Merkle tree, signs
 * checkpoints, and serves proofs, tiles, bundles and receipts from the
 * store (docs/log.md, "For the store").
 *
 * Integration (Tessera's word): read the tree's size and frontier, read the
 * leaf hashes sequenced after it, extend the frontier in memory, keeping every
 * subtree hash it completes, sign the checkpoint of the new size, and store
 * all of it in one transaction that succeeds only if the tree still has the
 * size read at the start. Every node that tries computes the same tree from
 * the same sequenced leaves, so a loser's signed checkpoint equals the
 * winner's tree: the log never signs two trees a consistency proof cannot
 * join. One checkpoint is signed per batch (group commit). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "store/store.h"
#include "tlog/tlog.h"

struct fw_tlog_log {
	struct fw_store *store;
	const struct fw_sign_key *key;
	char origin[FW_TLOG_NAME_BYTES];
	struct fw_tlog_vkey vkey;
	unsigned interval_ms;
	struct fw_tlog_vkey witnesses[FW_TLOG_LOG_WITNESSES_MAX]; /* set before serving */
	size_t n_witnesses;

	pthread_mutex_t integrating; /* one integration at a time in this process */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool wake, stop, running;
	pthread_t thread;
};

enum fw_err fw_tlog_log_open(const struct fw_tlog_log_config *cfg, struct fw_tlog_log **out)
{
	const char *origin = cfg->origin && *cfg->origin ? cfg->origin : FW_TLOG_LOG_DEFAULT_ORIGIN;
	enum fw_err r;
	if (!cfg->store || !cfg->key)
		return fw_err_set(FW_ERR_INVALID, "the log needs a store and a key");
	if (!fw_tlog_name_is_valid(origin, strlen(origin)))
		return fw_err_set(FW_ERR_INVALID, "log origin \"%.64s\" is not a valid key name", origin);
	struct fw_tlog_log *l = calloc(1, sizeof *l);
	if (!l)
		return FW_ERR_NOMEM;
	l->store = cfg->store;
	l->key = cfg->key;
	snprintf(l->origin, sizeof l->origin, "%s", origin);
	l->interval_ms = cfg->interval_ms ? cfg->interval_ms : FW_TLOG_LOG_INTERVAL_MS;
	if ((r = fw_tlog_vkey_init(&l->vkey, l->origin, FW_TLOG_SIG_ED25519, cfg->key->pk)) != FW_OK) {
		free(l);
		return r;
	}
	pthread_mutex_init(&l->integrating, NULL);
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	*out = l;
	return FW_OK;
}

const char *fw_tlog_log_origin(const struct fw_tlog_log *l) { return l->origin; }

enum fw_err fw_tlog_log_set_witnesses(struct fw_tlog_log *l, const struct fw_tlog_vkey *keys, size_t n)
{
	if (n > FW_TLOG_LOG_WITNESSES_MAX || (n && !keys))
		return fw_err_set(FW_ERR_INVALID, "at most %d witness keys", FW_TLOG_LOG_WITNESSES_MAX);
	for (size_t i = 0; i < n; i++) {
		if (keys[i].type != FW_TLOG_SIG_COSIG_V1)
			return fw_err_set(FW_ERR_INVALID, "witness key %s is not a cosignature/v1 key", keys[i].name);
		for (size_t j = 0; j < i; j++)
			if (keys[j].id == keys[i].id && strcmp(keys[j].name, keys[i].name) == 0)
				return fw_err_set(FW_ERR_INVALID, "witness key %s is given twice", keys[i].name);
	}
	if (n)
		memcpy(l->witnesses, keys, n * sizeof *keys);
	l->n_witnesses = n;
	return FW_OK;
}

const struct fw_tlog_vkey *fw_tlog_log_witnesses(const struct fw_tlog_log *l, size_t *n)
{
	*n = l->n_witnesses;
	return l->witnesses;
}

enum fw_err fw_tlog_log_vkey(const struct fw_tlog_log *l, char out[FW_TLOG_VKEY_BYTES])
{
	return fw_tlog_vkey_format(&l->vkey, out);
}

/* --- integration --------------------------------------------------------- */
struct node_list {
	struct fw_store_log_node *v;
	size_t n, cap;
};

static enum fw_err collect_node(void *ctx, unsigned level, uint64_t index, const uint8_t hash[FW_TLOG_HASH_BYTES])
{
	struct node_list *nl = ctx;
	if (nl->n == nl->cap) {
		size_t cap = nl->cap ? nl->cap * 2 : 1024;
		void *v = realloc(nl->v, cap * sizeof *nl->v);
		if (!v)
			return FW_ERR_NOMEM;
		nl->v = v;
		nl->cap = cap;
	}
	struct fw_store_log_node *nd = &nl->v[nl->n++];
	nd->level = level;
	nd->index = index;
	memcpy(nd->hash, hash, FW_TLOG_HASH_BYTES);
	return FW_OK;
}

static enum fw_err sign_checkpoint(struct fw_tlog_log *l, uint64_t size, const uint8_t root[32], struct fw_buf *note)
{
	struct fw_tlog_checkpoint cp;
	struct fw_buf text;
	enum fw_err r;
	memset(&cp, 0, sizeof cp);
	snprintf(cp.origin, sizeof cp.origin, "%s", l->origin);
	cp.size = size;
	memcpy(cp.root, root, 32);
	fw_buf_init(&text, 4096);
	if ((r = fw_tlog_checkpoint_format(&cp, &text)) == FW_OK)
		r = fw_tlog_note_sign(fw_buf_str(&text), text.len, l->origin, l->key, note);
	fw_buf_cleanup(&text);
	return r;
}

/* One step: up to FW_TLOG_LOG_BATCH_MAX leaves. *more is set when entries
 * are left for another step. */
static enum fw_err integrate_step(struct fw_tlog_log *l, bool *more)
{
	struct fw_store_log_state st;
	struct fw_tlog_frontier f;
	struct node_list nl = {0};
	struct fw_buf note;
	uint8_t *leaves = NULL, root[32], enc[FW_TLOG_FRONTIER_MAX_BYTES];
	size_t enc_len = 0, count = 0;
	enum fw_err r;
	*more = false;
	fw_buf_init(&note, 8192);
	if ((r = fw_store_log_state(l->store, &st)) != FW_OK)
		goto out;
	if ((r = fw_tlog_frontier_decode(st.frontier, st.frontier_len, &f)) != FW_OK || f.size != st.integrated ||
	    st.integrated > st.sequenced) {
		fw_log_error("tlog", "the stored log tree state is damaged (size %llu, sequenced %llu)",
			     (unsigned long long)st.integrated, (unsigned long long)st.sequenced);
		r = FW_ERR_STORE;
		goto out;
	}
	count = st.sequenced - st.integrated > FW_TLOG_LOG_BATCH_MAX ? FW_TLOG_LOG_BATCH_MAX
								     : (size_t)(st.sequenced - st.integrated);
	if (count == 0) {
		/* Nothing new: sign the current tree only if it has no checkpoint
		 * yet (the empty tree at first start). */
		uint64_t have = 0;
		r = fw_store_log_checkpoint_get(l->store, true, 0, &have, NULL);
		if (r == FW_OK && have == st.integrated)
			goto out;
		if (r != FW_OK && r != FW_ERR_NOT_FOUND)
			goto out;
		fw_err_clear();
	} else {
		if (!(leaves = malloc(count * 32))) {
			r = FW_ERR_NOMEM;
			goto out;
		}
		if ((r = fw_store_log_leaves(l->store, st.integrated, count, leaves)) != FW_OK)
			goto out;
		for (size_t i = 0; i < count; i++)
			if ((r = fw_tlog_frontier_append(&f, leaves + 32 * i, collect_node, &nl)) != FW_OK)
				goto out;
	}
	fw_tlog_frontier_root(&f, root);
	if ((r = fw_tlog_frontier_encode(&f, enc, sizeof enc, &enc_len)) != FW_OK ||
	    (r = sign_checkpoint(l, f.size, root, &note)) != FW_OK)
		goto out;
	struct fw_store_log_integration in = {.old_size = st.integrated, .new_size = f.size, .frontier = enc,
					      .frontier_len = enc_len, .nodes = nl.v, .n_nodes = nl.n,
					      .root = root, .note = fw_buf_str(&note), .note_len = note.len,
					      .at = fw_clock_now()};
	r = fw_store_log_integrate(l->store, &in);
	if (r == FW_ERR_STATE) { /* another node integrated first: its tree is ours */
		fw_err_clear();
		r = FW_OK;
		*more = true;
	} else if (r == FW_OK) {
		*more = f.size < st.sequenced;
		fw_log_debug("tlog", "checkpoint %llu signed (%zu new entries)", (unsigned long long)f.size, count);
	}
out:
	free(leaves);
	free(nl.v);
	fw_buf_cleanup(&note);
	return r;
}

enum fw_err fw_tlog_log_integrate(struct fw_tlog_log *l, uint64_t *size)
{
	enum fw_err r;
	bool more = true;
	pthread_mutex_lock(&l->integrating);
	for (unsigned rounds = 0; more && rounds < 1000000; rounds++)
		if ((r = integrate_step(l, &more)) != FW_OK)
			goto out;
	r = size ? fw_store_log_checkpoint_get(l->store, true, 0, size, NULL) : FW_OK;
out:
	pthread_mutex_unlock(&l->integrating);
	return r;
}

/* --- the thread ---------------------------------------------------------- */
static void *run(void *arg)
{
	struct fw_tlog_log *l = arg;
	fw_log_set_request("tlog");
	pthread_mutex_lock(&l->lock);
	while (!l->stop) {
		if (!l->wake) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += l->interval_ms / 1000;
			ts.tv_nsec += (long)(l->interval_ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			(void)pthread_cond_timedwait(&l->cond, &l->lock, &ts);
		}
		l->wake = false;
		pthread_mutex_unlock(&l->lock);
		enum fw_err r = fw_tlog_log_integrate(l, NULL);
		if (r != FW_OK)
			fw_log_error("tlog", "integration failed: %s %s", fw_strerror(r), fw_err_detail());
		pthread_mutex_lock(&l->lock);
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

enum fw_err fw_tlog_log_start(struct fw_tlog_log *l)
{
	enum fw_err r;
	/* The empty tree's checkpoint (or what a crash left unintegrated) first,
	 * so that /log/checkpoint answers from the start. */
	if ((r = fw_tlog_log_integrate(l, NULL)) != FW_OK)
		return r;
	pthread_mutex_lock(&l->lock);
	l->stop = false;
	if (pthread_create(&l->thread, NULL, run, l) != 0) {
		pthread_mutex_unlock(&l->lock);
		return fw_err_set(FW_ERR_INTERNAL, "cannot start the log thread");
	}
	l->running = true;
	pthread_mutex_unlock(&l->lock);
	return FW_OK;
}

void fw_tlog_log_wake(struct fw_tlog_log *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	l->wake = true;
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

void fw_tlog_log_free(struct fw_tlog_log *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	bool running = l->running;
	l->stop = true;
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->lock);
	if (running) {
		pthread_join(l->thread, NULL);
		/* What the last release batch sequenced gets its checkpoint. */
		if (fw_tlog_log_integrate(l, NULL) != FW_OK)
			fw_log_warn("tlog", "last integration failed: %s", fw_err_detail());
	}
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
	pthread_mutex_destroy(&l->integrating);
	free(l);
}

/* --- reads --------------------------------------------------------------- */
/* After the log's own line: the stored cosignatures of the checkpoint of
 * `size` by the witnesses set now (a removed witness's are no longer
 * served), in the store's order (witness name, key ID). */
static enum fw_err append_cosigs(struct fw_tlog_log *l, uint64_t size, struct fw_buf *note)
{
	struct fw_store_cosig *c = NULL;
	size_t n = 0;
	enum fw_err r;
	if (!l->n_witnesses)
		return FW_OK;
	if ((r = fw_store_log_cosig_list(l->store, size, &c, &n)) != FW_OK)
		return r;
	for (size_t i = 0; i < n && r == FW_OK; i++)
		for (size_t k = 0; k < l->n_witnesses && r == FW_OK; k++)
			if (l->witnesses[k].id == c[i].key_id && strcmp(l->witnesses[k].name, c[i].witness) == 0)
				r = fw_buf_puts(note, c[i].line);
	free(c);
	return r;
}

enum fw_err fw_tlog_log_checkpoint(struct fw_tlog_log *l, bool latest, uint64_t size, struct fw_buf *note,
				   uint64_t *out_size)
{
	uint64_t got = 0;
	enum fw_err r = fw_store_log_checkpoint_get(l->store, latest, size, &got, note);
	if (r == FW_OK && note)
		r = append_cosigs(l, got, note);
	if (r == FW_OK && out_size)
		*out_size = got;
	return r;
}

static enum fw_err store_node(void *ctx, unsigned level, uint64_t index, uint8_t out[FW_TLOG_HASH_BYTES])
{
	struct fw_tlog_log *l = ctx;
	return fw_store_log_node_get(l->store, level, index, out);
}

/* FW_ERR_NOT_FOUND unless size is within the newest checkpoint's tree. */
static enum fw_err check_size(struct fw_tlog_log *l, uint64_t size)
{
	uint64_t have = 0;
	enum fw_err r = fw_store_log_checkpoint_get(l->store, true, 0, &have, NULL);
	if (r != FW_OK)
		return r;
	if (size > have)
		return fw_err_set(FW_ERR_NOT_FOUND, "the log has no tree of size %llu yet (newest %llu)",
				  (unsigned long long)size, (unsigned long long)have);
	return FW_OK;
}

enum fw_err fw_tlog_log_inclusion(struct fw_tlog_log *l, uint64_t index, uint64_t size, struct fw_tlog_proof *out)
{
	enum fw_err r;
	if ((r = check_size(l, size)) != FW_OK)
		return r;
	return fw_tlog_inclusion_proof(index, size, store_node, l, out);
}

enum fw_err fw_tlog_log_consistency(struct fw_tlog_log *l, uint64_t size1, uint64_t size2,
				    struct fw_tlog_proof *out)
{
	enum fw_err r;
	if ((r = check_size(l, size2)) != FW_OK)
		return r;
	return fw_tlog_consistency_proof(size1, size2, store_node, l, out);
}

struct bundle_ctx {
	struct fw_buf *out;
};

static enum fw_err bundle_entry(void *ctx, uint64_t index, const uint8_t *entry, size_t n)
{
	(void)index;
	struct bundle_ctx *b = ctx;
	return fw_tlog_bundle_append(b->out, entry, n);
}

enum fw_err fw_tlog_log_tile(struct fw_tlog_log *l, const struct fw_tlog_tile *t, struct fw_buf *out)
{
	uint64_t have = 0;
	uint8_t hashes[FW_TLOG_TILE_BYTES];
	enum fw_err r;
	if ((r = fw_store_log_checkpoint_get(l->store, true, 0, &have, NULL)) != FW_OK)
		return r;
	if (!fw_tlog_tile_is_in_tree(t, have))
		return fw_err_set(FW_ERR_NOT_FOUND, "no such tile in the log's tree");
	if (t->entries) {
		struct bundle_ctx b = {out};
		size_t mark = out->len;
		r = fw_store_log_entries(l->store, t->index * FW_TLOG_TILE_WIDTH, t->width, bundle_entry, &b);
		if (r != FW_OK) {
			out->len = mark;
			if (out->data)
				out->data[mark] = '\0';
		}
		return r;
	}
	if ((r = fw_tlog_tile_read(t, store_node, l, hashes, sizeof hashes)) != FW_OK)
		return r;
	return fw_buf_append(out, hashes, (size_t)t->width * FW_TLOG_HASH_BYTES);
}

enum fw_err fw_tlog_log_receipt(struct fw_tlog_log *l, int64_t delivery_id, struct fw_buf *receipt,
				struct fw_buf *entry, uint64_t *index)
{
	struct fw_buf note;
	struct fw_tlog_proof proof;
	uint64_t idx = 0, size = 0;
	enum fw_err r;
	fw_buf_init(&note, FW_TLOG_NOTE_MAX);
	if ((r = fw_store_log_delivery_entry(l->store, delivery_id, &idx, entry)) != FW_OK)
		goto out;
	if ((r = fw_store_log_checkpoint_get(l->store, true, 0, &size, NULL)) != FW_OK && r != FW_ERR_NOT_FOUND)
		goto out;
	if (r != FW_OK || idx >= size) /* sequenced but not yet in a checkpoint */
		if ((r = fw_tlog_log_integrate(l, NULL)) != FW_OK)
			goto out;
	if ((r = fw_tlog_log_checkpoint(l, true, 0, &note, &size)) != FW_OK) /* with its cosignatures */
		goto out;
	if (idx >= size) {
		r = fw_err_set(FW_ERR_UNAVAILABLE, "the entry is not in a checkpoint yet; try again");
		goto out;
	}
	if ((r = fw_tlog_inclusion_proof(idx, size, store_node, l, &proof)) != FW_OK ||
	    (r = fw_tlog_receipt_format(idx, &proof, NULL, 0, fw_buf_str(&note), note.len, receipt)) != FW_OK)
		goto out;
	if (index)
		*index = idx;
out:
	fw_buf_cleanup(&note);
	return r;
}

enum fw_err fw_tlog_log_append(struct fw_tlog_log *l, const uint8_t *entry, size_t n, uint64_t *index)
{
	uint8_t leaf[FW_TLOG_HASH_BYTES];
	enum fw_err r;
	fw_tlog_leaf_hash(entry, n, leaf);
	if ((r = fw_store_log_append(l->store, entry, n, leaf, index)) == FW_OK)
		fw_tlog_log_wake(l);
	return r;
}
