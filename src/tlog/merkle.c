/* RFC 9162 §2.1 Merkle tree hashing, the frontier (compact range) used to
 * append, and inclusion and consistency proofs, generated from complete
 * subtree hashes and verified by the RFC's algorithms. */
#include <string.h>

#include "tlog/tlog.h"

#define HB FW_TLOG_HASH_BYTES

/* --- hashing ------------------------------------------------------------ */

void fw_tlog_leaf_hash(const uint8_t *entry, size_t n, uint8_t out[HB])
{
	static const uint8_t prefix = 0x00;
	struct fw_crypto_piece p[2] = {{&prefix, 1}, {entry, n}};

	fw_crypto_sha256_v(p, 2, out);
}

void fw_tlog_node_hash(const uint8_t left[HB], const uint8_t right[HB], uint8_t out[HB])
{
	static const uint8_t prefix = 0x01;
	struct fw_crypto_piece p[3] = {{&prefix, 1}, {left, HB}, {right, HB}};

	fw_crypto_sha256_v(p, 3, out);
}

void fw_tlog_empty_root(uint8_t out[HB])
{
	fw_crypto_sha256_v(NULL, 0, out);
}

/* Number of bits needed to write x (0 for 0). */
static unsigned bit_len(uint64_t x)
{
	return x ? 64u - (unsigned)__builtin_clzll(x) : 0u;
}

/* The largest power of two strictly less than n (n ≥ 2). */
static uint64_t split_point(uint64_t n)
{
	return UINT64_C(1) << (bit_len(n - 1) - 1);
}

/* MTH(D[start:end]) for an RFC subtree range: start is a multiple of the
 * power of two at or above end - start, so the range is a run of complete
 * subtrees of decreasing size, folded from the right. */
static enum fw_err range_hash(fw_tlog_node_fn node, void *ctx, uint64_t start, uint64_t end,
			      uint8_t out[HB])
{
	uint8_t parts[FW_TLOG_MAX_LEVELS][HB];
	size_t n = 0;
	enum fw_err r;

	if (start >= end)
		return FW_ERR_INTERNAL;
	while (start < end) {
		unsigned k = bit_len(end - start) - 1;
		/* alignment of start limits the subtree from the left */
		if (start) {
			unsigned tz = (unsigned)__builtin_ctzll(start);
			if (tz < k)
				k = tz;
		}
		if ((r = node(ctx, k, start >> k, parts[n])) != FW_OK)
			return r;
		n++;
		start += UINT64_C(1) << k;
	}
	while (n > 1) {
		fw_tlog_node_hash(parts[n - 2], parts[n - 1], parts[n - 2]);
		n--;
	}
	memcpy(out, parts[0], HB);
	return FW_OK;
}

enum fw_err fw_tlog_tree_hash(uint64_t size, fw_tlog_node_fn node, void *ctx, uint8_t out[HB])
{
	if (!node)
		return FW_ERR_INVALID;
	if (size == 0) {
		fw_tlog_empty_root(out);
		return FW_OK;
	}
	return range_hash(node, ctx, 0, size, out);
}

enum fw_err fw_tlog_mth(uint64_t size, fw_tlog_leaf_fn leaf, void *ctx, uint8_t out[HB])
{
	struct fw_tlog_frontier f;
	uint8_t h[HB];
	enum fw_err r;

	if (!leaf)
		return FW_ERR_INVALID;
	fw_tlog_frontier_init(&f);
	for (uint64_t i = 0; i < size; i++) {
		if ((r = leaf(ctx, i, h)) != FW_OK)
			return r;
		if ((r = fw_tlog_frontier_append(&f, h, NULL, NULL)) != FW_OK)
			return r;
	}
	fw_tlog_frontier_root(&f, out);
	return FW_OK;
}

/* --- reference hash source ---------------------------------------------- */

enum fw_err fw_tlog_leaves_leaf(void *leaves, uint64_t index, uint8_t out[HB])
{
	const struct fw_tlog_leaves *l = leaves;

	if (!l || index >= l->n)
		return FW_ERR_NOT_FOUND;
	memcpy(out, l->hash[index], HB);
	return FW_OK;
}

static void leaves_subtree(const struct fw_tlog_leaves *l, unsigned level, uint64_t start,
			   uint8_t out[HB])
{
	uint8_t left[HB], right[HB];
	uint64_t half;

	if (level == 0) {
		memcpy(out, l->hash[start], HB);
		return;
	}
	half = UINT64_C(1) << (level - 1);
	leaves_subtree(l, level - 1, start, left);
	leaves_subtree(l, level - 1, start + half, right);
	fw_tlog_node_hash(left, right, out);
}

enum fw_err fw_tlog_leaves_node(void *leaves, unsigned level, uint64_t index, uint8_t out[HB])
{
	const struct fw_tlog_leaves *l = leaves;

	if (!l || level >= FW_TLOG_MAX_LEVELS || index > (UINT64_MAX >> level))
		return FW_ERR_INVALID;
	uint64_t start = index << level, width = UINT64_C(1) << level;
	if (start >= l->n || l->n - start < width)
		return FW_ERR_NOT_FOUND;
	leaves_subtree(l, level, start, out);
	return FW_OK;
}

/* --- frontier ----------------------------------------------------------- */

void fw_tlog_frontier_init(struct fw_tlog_frontier *f)
{
	memset(f, 0, sizeof *f);
}

enum fw_err fw_tlog_frontier_append(struct fw_tlog_frontier *f, const uint8_t leaf_hash[HB],
				    fw_tlog_node_sink_fn sink, void *ctx)
{
	uint8_t h[HB];
	uint64_t i = f->size;
	unsigned k = 0;
	enum fw_err r;

	if (i == UINT64_MAX)
		return FW_ERR_TOO_LARGE;
	memcpy(h, leaf_hash, HB);
	/* Each set low bit of the old size is a left sibling waiting for this
	 * leaf's subtree; merge until a clear bit. Only slot k and the size
	 * change, and only after every sink call succeeded. */
	for (;;) {
		if (sink && (r = sink(ctx, k, i >> k, h)) != FW_OK)
			return r;
		if (!((i >> k) & 1))
			break;
		fw_tlog_node_hash(f->hash[k], h, h);
		k++;
	}
	memcpy(f->hash[k], h, HB);
	f->size = i + 1;
	return FW_OK;
}

void fw_tlog_frontier_root(const struct fw_tlog_frontier *f, uint8_t out[HB])
{
	uint8_t acc[HB];
	bool have = false;

	if (f->size == 0) {
		fw_tlog_empty_root(out);
		return;
	}
	/* The smallest subtree is the rightmost; fold leftwards. */
	for (unsigned k = 0; k < FW_TLOG_MAX_LEVELS; k++) {
		if (!((f->size >> k) & 1))
			continue;
		if (have) {
			fw_tlog_node_hash(f->hash[k], acc, acc);
		} else {
			memcpy(acc, f->hash[k], HB);
			have = true;
		}
	}
	memcpy(out, acc, HB);
}

enum fw_err fw_tlog_frontier_load(struct fw_tlog_frontier *f, uint64_t size,
				  fw_tlog_node_fn node, void *ctx)
{
	struct fw_tlog_frontier t;
	uint64_t start = 0;
	enum fw_err r;

	if (!node)
		return FW_ERR_INVALID;
	fw_tlog_frontier_init(&t);
	for (unsigned k = FW_TLOG_MAX_LEVELS; k-- > 0;) {
		if (!((size >> k) & 1))
			continue;
		if ((r = node(ctx, k, start >> k, t.hash[k])) != FW_OK)
			return r;
		start += UINT64_C(1) << k;
	}
	t.size = size;
	*f = t;
	return FW_OK;
}

enum fw_err fw_tlog_frontier_encode(const struct fw_tlog_frontier *f, uint8_t *out,
				    size_t out_bytes, size_t *out_len)
{
	size_t need = 8 + HB * (size_t)__builtin_popcountll(f->size), o = 8;

	if (out_bytes < need)
		return FW_ERR_TOO_LARGE;
	for (unsigned i = 0; i < 8; i++)
		out[i] = (uint8_t)(f->size >> (56 - 8 * i));
	for (unsigned k = FW_TLOG_MAX_LEVELS; k-- > 0;) {
		if ((f->size >> k) & 1) {
			memcpy(out + o, f->hash[k], HB);
			o += HB;
		}
	}
	*out_len = need;
	return FW_OK;
}

enum fw_err fw_tlog_frontier_decode(const uint8_t *in, size_t n, struct fw_tlog_frontier *out)
{
	struct fw_tlog_frontier t;
	size_t o = 8;

	if (!in || n < 8)
		return FW_ERR_INVALID;
	fw_tlog_frontier_init(&t);
	for (unsigned i = 0; i < 8; i++)
		t.size = t.size << 8 | in[i];
	if (n != 8 + HB * (size_t)__builtin_popcountll(t.size))
		return FW_ERR_INVALID;
	for (unsigned k = FW_TLOG_MAX_LEVELS; k-- > 0;) {
		if ((t.size >> k) & 1) {
			memcpy(t.hash[k], in + o, HB);
			o += HB;
		}
	}
	*out = t;
	return FW_OK;
}

/* --- proofs ------------------------------------------------------------- */

static enum fw_err proof_add(struct fw_tlog_proof *p, fw_tlog_node_fn node, void *ctx,
			     uint64_t start, uint64_t end)
{
	if (p->n >= FW_TLOG_PROOF_MAX)
		return FW_ERR_INTERNAL;
	enum fw_err r = range_hash(node, ctx, start, end, p->hash[p->n]);
	if (r == FW_OK)
		p->n++;
	return r;
}

enum fw_err fw_tlog_inclusion_proof(uint64_t index, uint64_t size, fw_tlog_node_fn node,
				    void *ctx, struct fw_tlog_proof *out)
{
	struct fw_tlog_proof p = {.n = 0};
	/* Below level `inner` the paths to index and to the last leaf part;
	 * there every sibling exists (the one on the last leaf's path may be
	 * partial). Above it, only left siblings exist. */
	unsigned inner;
	enum fw_err r;

	if (!node || index >= size)
		return FW_ERR_INVALID;
	inner = bit_len(index ^ (size - 1));
	for (unsigned k = 0; k < inner; k++) {
		uint64_t sib = (index >> k) ^ 1, start = sib << k;
		uint64_t end = start + (UINT64_C(1) << k);
		if (end > size || end < start)
			end = size;
		if ((r = proof_add(&p, node, ctx, start, end)) != FW_OK)
			return r;
	}
	for (unsigned k = inner; k < FW_TLOG_MAX_LEVELS; k++) {
		if (!((index >> k) & 1))
			continue;
		uint64_t start = ((index >> k) - 1) << k;
		if ((r = proof_add(&p, node, ctx, start, start + (UINT64_C(1) << k))) != FW_OK)
			return r;
	}
	*out = p;
	return FW_OK;
}

static bool hash_equal(const uint8_t a[HB], const uint8_t b[HB])
{
	return fw_crypto_equal(a, b, HB);
}

enum fw_err fw_tlog_inclusion_verify(uint64_t index, uint64_t size, const uint8_t leaf_hash[HB],
				     const struct fw_tlog_proof *p, const uint8_t root[HB])
{
	uint64_t fn = index, sn;
	uint8_t r[HB];

	if (!p || !leaf_hash || !root || index >= size)
		return FW_ERR_INVALID;
	if (p->n > FW_TLOG_PROOF_MAX)
		return FW_ERR_CRYPTO;
	sn = size - 1;
	memcpy(r, leaf_hash, HB);
	/* RFC 9162 §2.1.3.2 */
	for (size_t i = 0; i < p->n; i++) {
		if (sn == 0)
			return FW_ERR_CRYPTO;
		if ((fn & 1) || fn == sn) {
			fw_tlog_node_hash(p->hash[i], r, r);
			if (!(fn & 1)) {
				while (fn && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
			}
		} else {
			fw_tlog_node_hash(r, p->hash[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || !hash_equal(r, root))
		return FW_ERR_CRYPTO;
	return FW_OK;
}

/* SUBPROOF(m, D[lo:hi], b) of RFC 9162 §2.1.4.1, m counted from lo. */
static enum fw_err subproof(fw_tlog_node_fn node, void *ctx, uint64_t m, uint64_t lo,
			    uint64_t hi, bool b, struct fw_tlog_proof *p)
{
	enum fw_err r;

	if (m == hi - lo)
		return b ? FW_OK : proof_add(p, node, ctx, lo, hi);
	uint64_t k = split_point(hi - lo);
	if (m <= k) {
		if ((r = subproof(node, ctx, m, lo, lo + k, b, p)) != FW_OK)
			return r;
		return proof_add(p, node, ctx, lo + k, hi);
	}
	if ((r = subproof(node, ctx, m - k, lo + k, hi, false, p)) != FW_OK)
		return r;
	return proof_add(p, node, ctx, lo, lo + k);
}

enum fw_err fw_tlog_consistency_proof(uint64_t size1, uint64_t size2, fw_tlog_node_fn node,
				      void *ctx, struct fw_tlog_proof *out)
{
	struct fw_tlog_proof p = {.n = 0};
	enum fw_err r;

	if (!node || size1 == 0 || size1 > size2)
		return FW_ERR_INVALID;
	if ((r = subproof(node, ctx, size1, 0, size2, true, &p)) != FW_OK)
		return r;
	*out = p;
	return FW_OK;
}

enum fw_err fw_tlog_consistency_verify(uint64_t size1, uint64_t size2, const uint8_t root1[HB],
				       const uint8_t root2[HB], const struct fw_tlog_proof *p)
{
	uint8_t fr[HB], sr[HB];
	uint64_t fn, sn;
	size_t i = 0;

	if (!p || !root1 || !root2 || size1 == 0 || size1 > size2)
		return FW_ERR_INVALID;
	if (p->n > FW_TLOG_PROOF_MAX)
		return FW_ERR_CRYPTO;
	if (size1 == size2)
		return p->n == 0 && hash_equal(root1, root2) ? FW_OK : FW_ERR_CRYPTO;
	/* RFC 9162 §2.1.4.2 */
	if (p->n == 0)
		return FW_ERR_CRYPTO;
	if ((size1 & (size1 - 1)) == 0) {
		/* an exact power of two: first_hash is the implicit first node */
		memcpy(fr, root1, HB);
	} else {
		memcpy(fr, p->hash[0], HB);
		i = 1;
	}
	memcpy(sr, fr, HB);
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < p->n; i++) {
		if (sn == 0)
			return FW_ERR_CRYPTO;
		if ((fn & 1) || fn == sn) {
			fw_tlog_node_hash(p->hash[i], fr, fr);
			fw_tlog_node_hash(p->hash[i], sr, sr);
			if (!(fn & 1)) {
				while (fn && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
			}
		} else {
			fw_tlog_node_hash(sr, p->hash[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || !hash_equal(fr, root1) || !hash_equal(sr, root2))
		return FW_ERR_CRYPTO;
	return FW_OK;
}
