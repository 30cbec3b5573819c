/* Tests of src/tlog: RFC 6962/9162 Merkle vectors (roots, inclusion and
 * consistency proofs, positive and negative), the frontier against MTH and
 * published compact-range roots, checkpoints, signed notes against the Go
 * reference note and real sum.golang.org checkpoints, cosignatures, tile
 * paths and coverage, entry bundles, and tlog-proof receipts.
 *
 * The reference functions below (ref_*) follow RFC 9162's recursive
 * definitions directly and share no code with the module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "crypto/crypto.h"
#include "tlog/tlog.h"

#define HB FW_TLOG_HASH_BYTES
#define OK(x) assert_int_equal((x), FW_OK)
#define FAILS(e, x) assert_int_equal((x), (e))

/* --- helpers -------------------------------------------------------------- */

static void unhex(const char *hex, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(hex), 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		for (int j = 0; j < 2; j++) {
			char c = hex[2 * i + (size_t)j];
			v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
		}
		out[i] = (uint8_t)v;
	}
}

static void set_str(char *dst, size_t n, const char *src)
{
	int w = snprintf(dst, n, "%s", src);
	assert_true(w >= 0 && (size_t)w < n);
}

/* Frontiers are equal when their sizes and present subtrees are. */
static void assert_frontier_equal(const struct fw_tlog_frontier *a,
				  const struct fw_tlog_frontier *b)
{
	uint8_t ea[FW_TLOG_FRONTIER_MAX_BYTES], eb[FW_TLOG_FRONTIER_MAX_BYTES];
	size_t la, lb;
	OK(fw_tlog_frontier_encode(a, ea, sizeof ea, &la));
	OK(fw_tlog_frontier_encode(b, eb, sizeof eb, &lb));
	assert_int_equal(la, lb);
	assert_memory_equal(ea, eb, la);
}

static void unb64(const char *s, uint8_t *out, size_t n)
{
	size_t got = 0;
	OK(fw_crypto_base64_decode(s, strlen(s), out, n, &got));
	assert_int_equal(got, n);
}

/* splitmix64: reproducible pseudo-random leaves (no rand()). */
static uint64_t rng_state = 0x5eed;
static uint64_t rng(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint8_t (*random_leaves(size_t n))[HB]
{
	uint8_t(*l)[HB] = malloc((n ? n : 1) * HB);
	assert_non_null(l);
	for (size_t i = 0; i < n; i++) {
		uint64_t v = rng();
		fw_tlog_leaf_hash((const uint8_t *)&v, sizeof v, l[i]);
	}
	return l;
}

/* --- RFC 9162 reference definitions (recursive, independent) ---------- */

static uint64_t ref_split(uint64_t n)
{
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

static void ref_node(const uint8_t l[HB], const uint8_t r[HB], uint8_t out[HB])
{
	uint8_t buf[1 + 2 * HB];
	buf[0] = 1;
	memcpy(buf + 1, l, HB);
	memcpy(buf + 1 + HB, r, HB);
	fw_crypto_sha256(buf, sizeof buf, out);
}

/* MTH(D[lo:hi]) */
static void ref_mth(const uint8_t (*l)[HB], uint64_t lo, uint64_t hi, uint8_t out[HB])
{
	uint8_t a[HB], b[HB];
	if (hi == lo) {
		fw_crypto_sha256("", 0, out);
		return;
	}
	if (hi - lo == 1) {
		memcpy(out, l[lo], HB);
		return;
	}
	uint64_t k = ref_split(hi - lo);
	ref_mth(l, lo, lo + k, a);
	ref_mth(l, lo + k, hi, b);
	ref_node(a, b, out);
}

/* PATH(m, D[lo:hi]) */
static void ref_path(const uint8_t (*l)[HB], uint64_t m, uint64_t lo, uint64_t hi,
		     struct fw_tlog_proof *p)
{
	if (hi - lo <= 1)
		return;
	uint64_t k = ref_split(hi - lo);
	if (m < k) {
		ref_path(l, m, lo, lo + k, p);
		ref_mth(l, lo + k, hi, p->hash[p->n++]);
	} else {
		ref_path(l, m - k, lo + k, hi, p);
		ref_mth(l, lo, lo + k, p->hash[p->n++]);
	}
}

/* SUBPROOF(m, D[lo:hi], b) */
static void ref_subproof(const uint8_t (*l)[HB], uint64_t m, uint64_t lo, uint64_t hi, bool b,
			 struct fw_tlog_proof *p)
{
	if (m == hi - lo) {
		if (!b)
			ref_mth(l, lo, hi, p->hash[p->n++]);
		return;
	}
	uint64_t k = ref_split(hi - lo);
	if (m <= k) {
		ref_subproof(l, m, lo, lo + k, b, p);
		ref_mth(l, lo + k, hi, p->hash[p->n++]);
	} else {
		ref_subproof(l, m - k, lo + k, hi, false, p);
		ref_mth(l, lo, lo + k, p->hash[p->n++]);
	}
}

static void assert_proof_equal(const struct fw_tlog_proof *a, const struct fw_tlog_proof *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		assert_memory_equal(a->hash[i], b->hash[i], HB);
}

/* --- the RFC 6962 test tree ---------------------------------------------- */

static const char *const leaf_hex[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};
static const char *const root_hex[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static uint8_t ct_leaves[8][HB];
static uint8_t ct_roots[9][HB];
static struct fw_tlog_leaves ct_src = {ct_leaves, 8};

static void ct_setup(void)
{
	for (int i = 0; i < 8; i++) {
		uint8_t data[16];
		size_t n = strlen(leaf_hex[i]) / 2;
		unhex(leaf_hex[i], data, n);
		fw_tlog_leaf_hash(data, n, ct_leaves[i]);
	}
	for (int i = 0; i < 9; i++)
		unhex(root_hex[i], ct_roots[i], HB);
}

static void test_hash_vectors(void **state)
{
	(void)state;
	uint8_t h[HB], want[HB];

	fw_tlog_empty_root(h);
	unhex(root_hex[0], want, HB);
	assert_memory_equal(h, want, HB);
	fw_tlog_leaf_hash(NULL, 0, h);
	unhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", want, HB);
	assert_memory_equal(h, want, HB);
	fw_tlog_leaf_hash((const uint8_t *)"L123456", 7, h);
	unhex("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56", want, HB);
	assert_memory_equal(h, want, HB);
	/* node = SHA-256(0x01 ‖ l ‖ r): leaves 0 and 1 give the size-2 root */
	fw_tlog_node_hash(ct_leaves[0], ct_leaves[1], h);
	assert_memory_equal(h, ct_roots[2], HB);
}

static void test_roots_of_test_tree(void **state)
{
	(void)state;
	struct fw_tlog_frontier f;
	uint8_t h[HB];

	fw_tlog_frontier_init(&f);
	for (uint64_t size = 0; size <= 8; size++) {
		if (size)
			OK(fw_tlog_frontier_append(&f, ct_leaves[size - 1], NULL, NULL));
		fw_tlog_frontier_root(&f, h);
		assert_memory_equal(h, ct_roots[size], HB);
		OK(fw_tlog_mth(size, fw_tlog_leaves_leaf, &ct_src, h));
		assert_memory_equal(h, ct_roots[size], HB);
		OK(fw_tlog_tree_hash(size, fw_tlog_leaves_node, &ct_src, h));
		assert_memory_equal(h, ct_roots[size], HB);
		ref_mth((const uint8_t(*)[HB])ct_leaves, 0, size, h);
		assert_memory_equal(h, ct_roots[size], HB);
	}
	/* a source that cannot serve a leaf makes MTH fail, not guess */
	FAILS(FW_ERR_NOT_FOUND, fw_tlog_mth(9, fw_tlog_leaves_leaf, &ct_src, h));
}

/* Published proofs (transparency-dev/merkle, CT): 0-based index. */
struct pub_proof {
	uint64_t a, b;
	const char *hex[3];
};

static void load_pub(const struct pub_proof *v, struct fw_tlog_proof *p)
{
	p->n = 0;
	for (int i = 0; i < 3 && v->hex[i]; i++)
		unhex(v->hex[i], p->hash[p->n++], HB);
}

static void test_published_inclusion_proofs(void **state)
{
	(void)state;
	static const struct pub_proof v[] = {
		{0, 1, {NULL}},
		{0, 2, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"}},
		{1, 2, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"}},
		{2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
		{1, 5, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
		{0, 8, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{5, 8, {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct fw_tlog_proof want, got;
		load_pub(&v[i], &want);
		OK(fw_tlog_inclusion_proof(v[i].a, v[i].b, fw_tlog_leaves_node, &ct_src, &got));
		assert_proof_equal(&got, &want);
		OK(fw_tlog_inclusion_verify(v[i].a, v[i].b, ct_leaves[v[i].a], &want,
					    ct_roots[v[i].b]));
	}
}

static void test_published_consistency_proofs(void **state)
{
	(void)state;
	static const struct pub_proof v[] = {
		{1, 1, {NULL}},
		{1, 8, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{6, 8, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2, 5, {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
		{6, 7, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct fw_tlog_proof want, got;
		load_pub(&v[i], &want);
		OK(fw_tlog_consistency_proof(v[i].a, v[i].b, fw_tlog_leaves_node, &ct_src, &got));
		assert_proof_equal(&got, &want);
		OK(fw_tlog_consistency_verify(v[i].a, v[i].b, ct_roots[v[i].a], ct_roots[v[i].b],
					      &want));
	}
}

/* --- inclusion: every (index, size), and how each can be broken -------- */

static void flip(uint8_t *h, unsigned bit)
{
	h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

static void inclusion_negatives(uint64_t idx, uint64_t size, const uint8_t leaf[HB],
				const struct fw_tlog_proof *p, const uint8_t root[HB])
{
	struct fw_tlog_proof q;
	uint8_t h[HB];

	/* wrong index (every other one) and wrong sizes */
	for (uint64_t j = 0; j < size; j++)
		if (j != idx)
			FAILS(FW_ERR_CRYPTO, fw_tlog_inclusion_verify(j, size, leaf, p, root));
	FAILS(FW_ERR_CRYPTO, fw_tlog_inclusion_verify(idx, size * 2, leaf, p, root));
	if (size / 2 > idx)
		FAILS(FW_ERR_CRYPTO, fw_tlog_inclusion_verify(idx, size / 2, leaf, p, root));
	/* index >= size is an argument error */
	FAILS(FW_ERR_INVALID, fw_tlog_inclusion_verify(size, size, leaf, p, root));
	FAILS(FW_ERR_INVALID, fw_tlog_inclusion_verify(size + 5, size, leaf, p, root));
	/* every bit of the leaf, the root and each proof hash */
	for (unsigned bit = 0; bit < 8 * HB; bit++) {
		memcpy(h, leaf, HB);
		flip(h, bit);
		FAILS(FW_ERR_CRYPTO, fw_tlog_inclusion_verify(idx, size, h, p, root));
		memcpy(h, root, HB);
		flip(h, bit);
		FAILS(FW_ERR_CRYPTO, fw_tlog_inclusion_verify(idx, size, leaf, p, h));
		for (size_t i = 0; i < p->n; i++) {
			q = *p;
			flip(q.hash[i], bit);
			FAILS(FW_ERR_CRYPTO, fw_tlog_inclusion_verify(idx, size, leaf, &q, root));
		}
	}
	/* truncated, extended (with garbage, with the root), prepended */
	if (p->n) {
		q = *p;
		q.n--;
		FAILS(FW_ERR_CRYPTO, fw_tlog_inclusion_verify(idx, size, leaf, &q, root));
	}
	q = *p;
	memset(q.hash[q.n++], 0, HB);
	FAILS(FW_ERR_CRYPTO, fw_tlog_inclusion_verify(idx, size, leaf, &q, root));
	q = *p;
	memcpy(q.hash[q.n++], root, HB);
	FAILS(FW_ERR_CRYPTO, fw_tlog_inclusion_verify(idx, size, leaf, &q, root));
	q.n = p->n + 1;
	memcpy(q.hash[0], root, HB);
	memcpy(q.hash + 1, p->hash, p->n * HB);
	FAILS(FW_ERR_CRYPTO, fw_tlog_inclusion_verify(idx, size, leaf, &q, root));
	/* an over-long proof is refused outright */
	q = *p;
	q.n = FW_TLOG_PROOF_MAX + 1;
	FAILS(FW_ERR_CRYPTO, fw_tlog_inclusion_verify(idx, size, leaf, &q, root));
}

static void test_inclusion_all_pairs_test_tree(void **state)
{
	(void)state;
	for (uint64_t size = 1; size <= 8; size++) {
		for (uint64_t idx = 0; idx < size; idx++) {
			struct fw_tlog_proof got, want = {.n = 0};
			OK(fw_tlog_inclusion_proof(idx, size, fw_tlog_leaves_node, &ct_src, &got));
			ref_path((const uint8_t(*)[HB])ct_leaves, idx, 0, size, &want);
			assert_proof_equal(&got, &want);
			OK(fw_tlog_inclusion_verify(idx, size, ct_leaves[idx], &got,
						    ct_roots[size]));
			inclusion_negatives(idx, size, ct_leaves[idx], &got, ct_roots[size]);
		}
		struct fw_tlog_proof p;
		FAILS(FW_ERR_INVALID,
		      fw_tlog_inclusion_proof(size, size, fw_tlog_leaves_node, &ct_src, &p));
	}
	struct fw_tlog_proof p = {.n = 0};
	FAILS(FW_ERR_INVALID, fw_tlog_inclusion_verify(0, 0, ct_leaves[0], &p, ct_roots[0]));
	FAILS(FW_ERR_INVALID, fw_tlog_inclusion_proof(0, 0, fw_tlog_leaves_node, &ct_src, &p));
	/* a size the source cannot serve fails with the source's error */
	FAILS(FW_ERR_NOT_FOUND, fw_tlog_inclusion_proof(0, 9, fw_tlog_leaves_node, &ct_src, &p));
}

/* --- consistency: every (size1, size2), and how each can be broken ----- */

static void consistency_negatives(uint64_t s1, uint64_t s2, const uint8_t r1[HB],
				  const uint8_t r2[HB], const struct fw_tlog_proof *p,
				  const uint8_t (*roots)[HB], uint64_t max)
{
	struct fw_tlog_proof q;
	uint8_t h[HB];

	for (unsigned bit = 0; bit < 8 * HB; bit += (max > 8 ? 37 : 1)) {
		memcpy(h, r1, HB);
		flip(h, bit);
		FAILS(FW_ERR_CRYPTO, fw_tlog_consistency_verify(s1, s2, h, r2, p));
		memcpy(h, r2, HB);
		flip(h, bit);
		FAILS(FW_ERR_CRYPTO, fw_tlog_consistency_verify(s1, s2, r1, h, p));
		for (size_t i = 0; i < p->n; i++) {
			q = *p;
			flip(q.hash[i], bit);
			FAILS(FW_ERR_CRYPTO, fw_tlog_consistency_verify(s1, s2, r1, r2, &q));
		}
	}
	if (p->n) {
		q = *p;
		q.n--;
		FAILS(FW_ERR_CRYPTO, fw_tlog_consistency_verify(s1, s2, r1, r2, &q));
	}
	q = *p;
	memset(q.hash[q.n++], 0, HB);
	FAILS(FW_ERR_CRYPTO, fw_tlog_consistency_verify(s1, s2, r1, r2, &q));
	q = *p;
	memcpy(q.hash[q.n++], r2, HB);
	FAILS(FW_ERR_CRYPTO, fw_tlog_consistency_verify(s1, s2, r1, r2, &q));
	/* other sizes with their own true roots: the proof is for (s1, s2) only */
	for (uint64_t a = 1; a <= max; a++) {
		for (uint64_t b = a; b <= max; b++) {
			if ((a == s1 && b == s2) || (a == b && p->n == 0))
				continue;
			enum fw_err r = fw_tlog_consistency_verify(a, b, roots[a], roots[b], p);
			assert_int_not_equal(r, FW_OK);
		}
	}
	/* size1 = 0 and size1 > size2 are argument errors */
	FAILS(FW_ERR_INVALID, fw_tlog_consistency_verify(0, s2, r1, r2, p));
	FAILS(FW_ERR_INVALID, fw_tlog_consistency_verify(s2 + 1, s2, r1, r2, p));
}

static void test_consistency_all_pairs_test_tree(void **state)
{
	(void)state;
	for (uint64_t s2 = 1; s2 <= 8; s2++) {
		for (uint64_t s1 = 1; s1 <= s2; s1++) {
			struct fw_tlog_proof got, want = {.n = 0};
			OK(fw_tlog_consistency_proof(s1, s2, fw_tlog_leaves_node, &ct_src, &got));
			ref_subproof((const uint8_t(*)[HB])ct_leaves, s1, 0, s2, true, &want);
			assert_proof_equal(&got, &want);
			OK(fw_tlog_consistency_verify(s1, s2, ct_roots[s1], ct_roots[s2], &got));
			consistency_negatives(s1, s2, ct_roots[s1], ct_roots[s2], &got,
					      (const uint8_t(*)[HB])ct_roots, 8);
		}
	}
	struct fw_tlog_proof p;
	FAILS(FW_ERR_INVALID, fw_tlog_consistency_proof(0, 4, fw_tlog_leaves_node, &ct_src, &p));
	FAILS(FW_ERR_INVALID, fw_tlog_consistency_proof(5, 4, fw_tlog_leaves_node, &ct_src, &p));
	/* equal sizes: an empty proof and equal roots, nothing else */
	p.n = 0;
	OK(fw_tlog_consistency_verify(4, 4, ct_roots[4], ct_roots[4], &p));
	FAILS(FW_ERR_CRYPTO, fw_tlog_consistency_verify(4, 4, ct_roots[4], ct_roots[5], &p));
	p.n = 1;
	memcpy(p.hash[0], ct_roots[4], HB);
	FAILS(FW_ERR_CRYPTO, fw_tlog_consistency_verify(4, 4, ct_roots[4], ct_roots[4], &p));
	/* s1 < s2 with an empty proof never verifies, even for power-of-two s1 */
	p.n = 0;
	FAILS(FW_ERR_CRYPTO, fw_tlog_consistency_verify(4, 8, ct_roots[4], ct_roots[8], &p));
}

/* Larger random trees: every pair up to 70 leaves and power-of-two sizes. */
static void test_proofs_random_trees(void **state)
{
	(void)state;
	enum { N = 70 };
	uint8_t(*l)[HB] = random_leaves(1100);
	uint8_t(*roots)[HB] = malloc((1100 + 1) * HB);
	assert_non_null(roots);
	struct fw_tlog_leaves src = {(const uint8_t(*)[HB])l, 1100};
	static const uint64_t pow2[] = {1, 2, 4, 16, 64, 128, 256, 512, 1024};

	for (uint64_t s = 0; s <= 1100; s++)
		ref_mth((const uint8_t(*)[HB])l, 0, s, roots[s]);
	for (uint64_t s2 = 1; s2 <= N; s2++) {
		for (uint64_t x = 0; x < s2; x++) {
			struct fw_tlog_proof got, want = {.n = 0};
			OK(fw_tlog_inclusion_proof(x, s2, fw_tlog_leaves_node, &src, &got));
			ref_path((const uint8_t(*)[HB])l, x, 0, s2, &want);
			assert_proof_equal(&got, &want);
			OK(fw_tlog_inclusion_verify(x, s2, l[x], &got, roots[s2]));
			if (x + 1 < s2)
				FAILS(FW_ERR_CRYPTO,
				      fw_tlog_inclusion_verify(x + 1, s2, l[x], &got, roots[s2]));
			/* x + 1 doubles as size1 of a consistency proof */
			want.n = 0;
			OK(fw_tlog_consistency_proof(x + 1, s2, fw_tlog_leaves_node, &src, &got));
			ref_subproof((const uint8_t(*)[HB])l, x + 1, 0, s2, true, &want);
			assert_proof_equal(&got, &want);
			OK(fw_tlog_consistency_verify(x + 1, s2, roots[x + 1], roots[s2], &got));
		}
	}
	/* power-of-two sizes, either side, and their neighbours */
	for (size_t i = 0; i < sizeof pow2 / sizeof pow2[0]; i++) {
		for (size_t j = i; j < sizeof pow2 / sizeof pow2[0]; j++) {
			uint64_t cases[3][2] = {{pow2[i], pow2[j]},
						{pow2[i], pow2[j] + 3},
						{pow2[i] + (pow2[i] > 1), pow2[j] + 5}};
			for (int c = 0; c < 3; c++) {
				uint64_t a = cases[c][0], b = cases[c][1];
				struct fw_tlog_proof p;
				if (a > b)
					continue;
				OK(fw_tlog_consistency_proof(a, b, fw_tlog_leaves_node, &src, &p));
				OK(fw_tlog_consistency_verify(a, b, roots[a], roots[b], &p));
				/* against another tree's root */
				const uint8_t *o = roots[b - 1];
				enum fw_err r = fw_tlog_consistency_verify(a, b, roots[a], o, &p);
				assert_int_equal(r, FW_ERR_CRYPTO);
				uint64_t x = a - 1;
				OK(fw_tlog_inclusion_proof(x, b, fw_tlog_leaves_node, &src, &p));
				OK(fw_tlog_inclusion_verify(x, b, l[x], &p, roots[b]));
				assert_int_equal(fw_tlog_inclusion_verify(x, b, l[x], &p, roots[a]),
						 a == b ? FW_OK : FW_ERR_CRYPTO);
			}
		}
	}
	free(roots);
	free(l);
}

/* --- frontier --------------------------------------------------------------- */

static void test_frontier_matches_mth(void **state)
{
	(void)state;
	enum { N = 1000 };
	uint8_t(*l)[HB] = random_leaves(N);
	struct fw_tlog_leaves src = {(const uint8_t(*)[HB])l, N};
	struct fw_tlog_frontier f, g;
	uint8_t a[HB], b[HB], enc[FW_TLOG_FRONTIER_MAX_BYTES];
	size_t enc_len;

	fw_tlog_frontier_init(&f);
	for (uint64_t s = 0; s <= N; s++) {
		if (s)
			OK(fw_tlog_frontier_append(&f, l[s - 1], NULL, NULL));
		assert_int_equal(f.size, s);
		fw_tlog_frontier_root(&f, a);
		ref_mth((const uint8_t(*)[HB])l, 0, s, b);
		assert_memory_equal(a, b, HB);
		OK(fw_tlog_tree_hash(s, fw_tlog_leaves_node, &src, b));
		assert_memory_equal(a, b, HB);
		/* rebuilt from stored subtrees, and through its serialized form */
		OK(fw_tlog_frontier_load(&g, s, fw_tlog_leaves_node, &src));
		fw_tlog_frontier_root(&g, b);
		assert_memory_equal(a, b, HB);
		OK(fw_tlog_frontier_encode(&f, enc, sizeof enc, &enc_len));
		assert_int_equal(enc_len, 8 + HB * (size_t)__builtin_popcountll(s));
		OK(fw_tlog_frontier_decode(enc, enc_len, &g));
		fw_tlog_frontier_root(&g, b);
		assert_memory_equal(a, b, HB);
		FAILS(FW_ERR_INVALID, fw_tlog_frontier_decode(enc, enc_len + 1, &g));
		if (enc_len > 8)
			FAILS(FW_ERR_INVALID, fw_tlog_frontier_decode(enc, enc_len - 1, &g));
	}
	FAILS(FW_ERR_TOO_LARGE, fw_tlog_frontier_encode(&f, enc, 8, &enc_len));
	free(l);
}

/* Roots published with transparency-dev/merkle's compact range tests:
 * leaf i is the two bytes i & 0xff, (i >> 8) & 0xff. */
static void test_frontier_published_roots(void **state)
{
	(void)state;
	static const struct {
		uint64_t size;
		const char *root;
	} v[] = {
		{10, "VjWMPSYNtCuCNlF/RLnQy6HcwSk6CIipfxm+hettA+4="},
		{15, "j4SulYmocFuxdeyp12xXCIgK6PekBcxzAIj4zbQzNEI="},
		{16, "c+4Uc6BCMOZf/v3NZK1kqTUJe+bBoFtOhP+P3SayKRE="},
		{100, "dUh9hYH88p0CMoHkdr1wC2szbhcLAXOejWpINIooKUY="},
		{255, "SmdsuKUqiod3RX2jyF2M6JnbdE4QuTwwipfAowI4/i0="},
		{256, "qFI0t/tZ1MdOYgyPpPzHFiZVw86koScXy9q3FU5casA="},
		{1000, "RXrgb8xHd55Y48FbfotJwCbV82Kx22LZfEbmBGAvwlQ="},
		{4095, "cWRFdQhPcjn9WyBXE/r1f04ejxIm5lvg40DEpRBVS0w="},
		{4096, "6uU/phfHg1n/GksYT6TO9aN8EauMCCJRl3dIK0HDs2M="},
		{10000, "VZcav65F9haHVRk3wre2axFoBXRNeUh/1d9d5FQfxIg="},
		{65535, "iPuVYJhP6SEE4gUFp8qbafd2rYv9YTCDYqAxCj8HdLM="},
	};
	struct fw_tlog_frontier f;
	size_t next = 0;

	fw_tlog_frontier_init(&f);
	for (uint64_t i = 0; i < 65535; i++) {
		uint8_t data[2] = {(uint8_t)(i & 0xff), (uint8_t)((i >> 8) & 0xff)}, h[HB];
		fw_tlog_leaf_hash(data, 2, h);
		OK(fw_tlog_frontier_append(&f, h, NULL, NULL));
		if (f.size == v[next].size) {
			uint8_t want[HB], got[HB];
			unb64(v[next].root, want, HB);
			fw_tlog_frontier_root(&f, got);
			assert_memory_equal(got, want, HB);
			next++;
		}
	}
	assert_int_equal(next, sizeof v / sizeof v[0]);
}

struct sink_log {
	const struct fw_tlog_leaves *src;
	size_t calls;
	size_t fail_at; /* 0: never */
};

static enum fw_err check_sink(void *ctx, unsigned level, uint64_t index, const uint8_t hash[HB])
{
	struct sink_log *s = ctx;
	uint8_t want[HB];

	if (++s->calls == s->fail_at)
		return FW_ERR_STORE;
	OK(fw_tlog_leaves_node((void *)s->src, level, index, want));
	assert_memory_equal(hash, want, HB);
	return FW_OK;
}

static void test_frontier_sink(void **state)
{
	(void)state;
	enum { N = 300 };
	uint8_t(*l)[HB] = random_leaves(N);
	struct fw_tlog_leaves src = {(const uint8_t(*)[HB])l, N};
	struct sink_log s = {&src, 0, 0};
	struct fw_tlog_frontier f, saved;

	fw_tlog_frontier_init(&f);
	for (uint64_t i = 0; i < N; i++)
		OK(fw_tlog_frontier_append(&f, l[i], check_sink, &s));
	/* one call per complete subtree: 2N - popcount(N) */
	assert_int_equal(s.calls, 2 * N - (size_t)__builtin_popcount(N));
	/* appending leaf 255 of 256 completes 9 subtrees; a failing sink on
	 * the last leaves the frontier as it was */
	fw_tlog_frontier_init(&f);
	for (uint64_t i = 0; i < 255; i++)
		OK(fw_tlog_frontier_append(&f, l[i], NULL, NULL));
	saved = f;
	s.calls = 0;
	s.fail_at = 9;
	FAILS(FW_ERR_STORE, fw_tlog_frontier_append(&f, l[255], check_sink, &s));
	assert_memory_equal(&f, &saved, sizeof f);
	s.calls = 0;
	s.fail_at = 0;
	OK(fw_tlog_frontier_append(&f, l[255], check_sink, &s));
	assert_int_equal(s.calls, 9);
	/* the last leaf a uint64 size can count */
	f.size = UINT64_MAX;
	FAILS(FW_ERR_TOO_LARGE, fw_tlog_frontier_append(&f, l[0], NULL, NULL));
	free(l);
}

/* --- checkpoints ------------------------------------------------------------ */

static void test_checkpoint_round_trip(void **state)
{
	(void)state;
	struct fw_tlog_checkpoint c, d;
	struct fw_buf b;
	char want[256];

	memset(&c, 0, sizeof c);
	set_str(c.origin, sizeof c.origin, "forewarn.example/log");
	c.size = 8;
	memcpy(c.root, ct_roots[8], HB);
	fw_buf_init(&b, 4096);
	OK(fw_tlog_checkpoint_format(&c, &b));
	snprintf(want, sizeof want, "forewarn.example/log\n8\n%s\n",
		 "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=");
	assert_string_equal(fw_buf_str(&b), want);
	OK(fw_tlog_checkpoint_parse((const char *)b.data, b.len, &d));
	assert_string_equal(d.origin, c.origin);
	assert_int_equal(d.size, 8);
	assert_memory_equal(d.root, c.root, HB);
	assert_null(d.ext);
	/* extension lines are kept verbatim */
	fw_buf_reset(&b);
	c.ext = "ext one\nx\n";
	c.ext_len = strlen(c.ext);
	c.size = 0;
	OK(fw_tlog_checkpoint_format(&c, &b));
	OK(fw_tlog_checkpoint_parse((const char *)b.data, b.len, &d));
	assert_int_equal(d.size, 0);
	assert_int_equal(d.ext_len, c.ext_len);
	assert_memory_equal(d.ext, c.ext, c.ext_len);
	/* format refuses what parse would refuse, and leaves out untouched */
	size_t before = b.len;
	c.ext = "\n";
	c.ext_len = 1;
	FAILS(FW_ERR_INVALID, fw_tlog_checkpoint_format(&c, &b));
	c.ext = NULL;
	c.ext_len = 0;
	set_str(c.origin, sizeof c.origin, "has space");
	FAILS(FW_ERR_INVALID, fw_tlog_checkpoint_format(&c, &b));
	c.origin[0] = '\0';
	FAILS(FW_ERR_INVALID, fw_tlog_checkpoint_format(&c, &b));
	assert_int_equal(b.len, before);
	fw_buf_cleanup(&b);
}

static void test_checkpoint_parse_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n",          /* empty origin */
		"o\n08\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n",        /* leading zero */
		"o\n00\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n",
		"o\n+8\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n",
		"o\n-1\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n",
		"o\n 8\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n",
		"o\n\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n",
		"o\n18446744073709551616\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n",
		"o\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg\n",         /* no padding */
		"o\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyh=\n",        /* non-canonical */
		"o\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMw==\n",        /* 31 bytes */
		"o\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=",          /* no newline */
		"o\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n\n",      /* empty ext */
		"o\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\next",     /* ext no \n */
		"o\r\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n",      /* CR */
		"o\t\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n",      /* control */
		"o\xff\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n",    /* not UTF-8 */
		"o\xc0\xaf\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n", /* overlong */
		"o\n8\n",
	};
	struct fw_tlog_checkpoint c;
	char longer[400];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		FAILS(FW_ERR_INVALID, fw_tlog_checkpoint_parse(bad[i], strlen(bad[i]), &c));
	/* the largest size, and an origin at and past the limit */
	const char *max = "o\n18446744073709551615\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n";
	OK(fw_tlog_checkpoint_parse(max, strlen(max), &c));
	assert_true(c.size == UINT64_MAX);
	for (size_t len = FW_TLOG_NAME_MAX; len <= FW_TLOG_NAME_MAX + 1; len++) {
		memset(longer, 'a', len);
		snprintf(longer + len, sizeof longer - len,
			 "\n1\nXcnaeacGWamtVZy3Ad7Zoqudgjqy9JYM/jcO/0YEMyg=\n");
		assert_int_equal(fw_tlog_checkpoint_parse(longer, strlen(longer), &c),
				 len <= FW_TLOG_NAME_MAX ? FW_OK : FW_ERR_INVALID);
	}
}

/* --- signed notes -------------------------------------------------------------- */

/* The example of golang.org/x/mod/sumdb/note (its documentation and tests). */
#define PN_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PN_SEED_B64 "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PN_TEXT                                                                        \
	"If you think cryptography is the answer to your problem,\n"                   \
	"then you don't know what your problem is.\n"
#define EM "\xe2\x80\x94" /* U+2014, which starts a signature line */
#define PN_B64                                                                            \
	"x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6R" \
	"yyBwJnAM="
#define PN_NOTE PN_TEXT "\n" EM " PeterNeumann " PN_B64 "\n"

/* sum.golang.org's key, as built into the go command, and checkpoints it
 * signed (published with Go tooling write-ups). */
#define SUMDB_VKEY "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
static const char *const sumdb_notes[] = {
	"go.sum database tree\n63512409\nF7eHRPqN/cqPtqti14NKdGGaI1Giw8coWP3KxihFZbg=\n\n"
	"\xe2\x80\x94 sum.golang.org Az3gri1OBHKT87Xj8UXU8zjoHGy/X+7Nl94f8TZkELVaasolmGApUsWqwVG9"
	"vE6hgqYb/ph/w2vdkLIVRH7bMB/FPQ4=\n",
	"go.sum database tree\n19254946\nh9eoRKj4A/u1agb0ArWU744FdzF7o/QztgC64L2t81M=\n\n"
	"\xe2\x80\x94 sum.golang.org Az3grvvtPUIwSm8opaNwI5N/xULaFZ0ecAWzWKqGSBGFNwg8tntSSgJui9xh"
	"4e/70QazZqhdO1n6bsR2EABgWXeQTwc=\n",
	"go.sum database tree\n63096908\n8lHrQPRYe4KT4WQ9/Qk8/taKnD6IRHbFgfN7vQE2Y54=\n\n"
	"\xe2\x80\x94 sum.golang.org Az3gri/oVBN1jAhNZ/iS+W31psFAWRT20/GyrhpU6taFwulQGetBkH5S7wp"
	"GXdS935jiIGiUUAXBVHzT/P6fYhqAmAk=\n",
};

/* A fresh key pair and its verifier key. */
static void new_key(struct fw_sign_key *k, struct fw_tlog_vkey *v, const char *name,
		    enum fw_tlog_sig_type type)
{
	OK(fw_minisign_keygen(k));
	OK(fw_tlog_vkey_init(v, name, type, k->pk));
}

static void pn_key(struct fw_sign_key *k)
{
	uint8_t blob[33];
	unb64(PN_SEED_B64, blob, sizeof blob);
	assert_int_equal(blob[0], 0x01);
	fw_crypto_ed25519_from_seed(blob + 1, k);
}

static void test_vkey_parse_format(void **state)
{
	(void)state;
	struct fw_tlog_vkey k, k2;
	struct fw_sign_key sk;
	char s[FW_TLOG_VKEY_BYTES], buf[FW_TLOG_VKEY_BYTES];

	OK(fw_tlog_vkey_parse(PN_VKEY, strlen(PN_VKEY), &k));
	assert_string_equal(k.name, "PeterNeumann");
	assert_int_equal(k.id, 0xc74f20a3);
	assert_int_equal(k.type, FW_TLOG_SIG_ED25519);
	OK(fw_tlog_vkey_format(&k, s));
	assert_string_equal(s, PN_VKEY);
	/* the vkey of the published private key is the published vkey */
	pn_key(&sk);
	assert_memory_equal(sk.pk, k.pk, 32);
	OK(fw_tlog_vkey_init(&k2, "PeterNeumann", FW_TLOG_SIG_ED25519, sk.pk));
	OK(fw_tlog_vkey_format(&k2, s));
	assert_string_equal(s, PN_VKEY);
	/* upper-case hex is read too; its id must still match */
	const char *upper = "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
	OK(fw_tlog_vkey_parse(upper, strlen(upper), &k2));
	OK(fw_tlog_vkey_parse(SUMDB_VKEY, strlen(SUMDB_VKEY), &k2));
	assert_int_equal(k2.id, 0x033de0ae);
	/* every proper substring and every one-byte change is rejected */
	size_t n = strlen(PN_VKEY);
	for (size_t i = 0; i <= n; i++) {
		for (size_t j = i + 1; j <= n; j++) {
			if (i == 0 && j == n)
				continue;
			assert_int_not_equal(fw_tlog_vkey_parse(PN_VKEY + i, j - i, &k2), FW_OK);
		}
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(buf, PN_VKEY, n + 1);
		buf[i] = (char)(buf[i] + 1);
		if (strncmp(buf, upper, n) == 0)
			continue;
		assert_int_not_equal(fw_tlog_vkey_parse(buf, n, &k2), FW_OK);
	}
	const char *wrong_id = "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
	FAILS(FW_ERR_INVALID, fw_tlog_vkey_parse(wrong_id, strlen(wrong_id), &k2));
	/* a cosignature key has its own id (type byte 0x04) */
	OK(fw_tlog_vkey_init(&k2, "PeterNeumann", FW_TLOG_SIG_COSIG_V1, sk.pk));
	assert_int_not_equal(k2.id, k.id);
	OK(fw_tlog_vkey_format(&k2, s));
	struct fw_tlog_vkey k3;
	OK(fw_tlog_vkey_parse(s, strlen(s), &k3));
	assert_memory_equal(&k3, &k2, sizeof k3);
	/* names: no '+', no spaces (ASCII or Unicode), not empty */
	assert_false(fw_tlog_name_is_valid("a+b", 3));
	assert_false(fw_tlog_name_is_valid("a b", 3));
	assert_false(fw_tlog_name_is_valid("a\xc2\xa0" "b", 4)); /* U+00A0 */
	assert_false(fw_tlog_name_is_valid("a\xe3\x80\x80" "b", 5)); /* U+3000 */
	assert_false(fw_tlog_name_is_valid("", 0));
	assert_true(fw_tlog_name_is_valid("example.com/log\xc3\xa9", 17));
	FAILS(FW_ERR_INVALID, fw_tlog_vkey_init(&k2, "bad name", FW_TLOG_SIG_ED25519, sk.pk));
	FAILS(FW_ERR_UNSUPPORTED, fw_tlog_vkey_init(&k2, "n", (enum fw_tlog_sig_type)2, sk.pk));
}

static void test_note_known_answers(void **state)
{
	(void)state;
	struct fw_tlog_vkey k;
	struct fw_sign_key sk;
	struct fw_tlog_note_info info;
	struct fw_buf b;

	/* Ed25519 is deterministic: our signature is the published one */
	pn_key(&sk);
	fw_buf_init(&b, FW_TLOG_NOTE_MAX);
	OK(fw_tlog_note_sign(PN_TEXT, strlen(PN_TEXT), "PeterNeumann", &sk, &b));
	assert_string_equal(fw_buf_str(&b), PN_NOTE);
	fw_buf_cleanup(&b);
	OK(fw_tlog_vkey_parse(PN_VKEY, strlen(PN_VKEY), &k));
	OK(fw_tlog_note_verify(PN_NOTE, strlen(PN_NOTE), &k, 1, &info));
	assert_int_equal(info.text_len, strlen(PN_TEXT));
	assert_int_equal(info.signed_by, 1);
	char bad[sizeof PN_NOTE];
	memcpy(bad, PN_NOTE, sizeof PN_NOTE);
	strstr(bad, "cryptography")[11] = 'Y';
	FAILS(FW_ERR_CRYPTO, fw_tlog_note_verify(bad, strlen(bad), &k, 1, &info));

	/* real checkpoints of the Go checksum database */
	struct fw_tlog_vkey sum;
	OK(fw_tlog_vkey_parse(SUMDB_VKEY, strlen(SUMDB_VKEY), &sum));
	for (size_t i = 0; i < sizeof sumdb_notes / sizeof sumdb_notes[0]; i++) {
		const char *n = sumdb_notes[i];
		struct fw_tlog_policy pol = {.origin = "go.sum database tree", .log_key = &sum};
		struct fw_tlog_checkpoint c;
		OK(fw_tlog_note_verify(n, strlen(n), &sum, 1, &info));
		OK(fw_tlog_checkpoint_open(n, strlen(n), &pol, &c));
		assert_string_equal(c.origin, "go.sum database tree");
		assert_true(c.size > 19000000);
		/* the origin is part of the policy */
		pol.origin = NULL;
		FAILS(FW_ERR_CRYPTO, fw_tlog_checkpoint_open(n, strlen(n), &pol, &c));
		/* under another key the signature is unknown: no known signature */
		FAILS(FW_ERR_CRYPTO, fw_tlog_note_verify(n, strlen(n), &k, 1, &info));
	}
}

static void test_note_rules(void **state)
{
	(void)state;
	struct fw_sign_key a, b2;
	struct fw_tlog_vkey ka, kb;
	struct fw_tlog_note_info info;
	struct fw_buf n1, n2;
	const char *text = "line one\n\nline three after a blank\n";

	new_key(&a, &ka, "a.example/k", FW_TLOG_SIG_ED25519);
	new_key(&b2, &kb, "b.example/k", FW_TLOG_SIG_ED25519);
	fw_buf_init(&n1, FW_TLOG_NOTE_MAX);
	fw_buf_init(&n2, FW_TLOG_NOTE_MAX * 2);
	OK(fw_tlog_note_sign(text, strlen(text), "a.example/k", &a, &n1));
	/* a text with blank lines: split at the last blank line */
	OK(fw_tlog_note_verify((char *)n1.data, n1.len, &ka, 1, &info));
	assert_int_equal(info.text_len, strlen(text));
	/* unknown keys are ignored; a known one is still required */
	struct fw_tlog_vkey both[2] = {kb, ka};
	OK(fw_tlog_note_verify((char *)n1.data, n1.len, both, 2, &info));
	assert_int_equal(info.signed_by, 2);
	FAILS(FW_ERR_CRYPTO, fw_tlog_note_verify((char *)n1.data, n1.len, &kb, 1, &info));
	/* same name, other id (or the reverse): unknown, not a bad signature */
	struct fw_tlog_vkey same_name = kb;
	set_str(same_name.name, sizeof same_name.name, "a.example/k");
	struct fw_tlog_vkey same_id = kb;
	same_id.id = ka.id;
	struct fw_tlog_vkey imposters[2] = {same_name, same_id};
	FAILS(FW_ERR_CRYPTO, fw_tlog_note_verify((char *)n1.data, n1.len, imposters, 2, &info));
	/* a known key with the right name and id but another public key: the
	 * signature is checked and fails, rejecting the note */
	struct fw_tlog_vkey wrong_pk = ka;
	wrong_pk.pk[0] ^= 1;
	struct fw_tlog_vkey mixed[2] = {wrong_pk, ka};
	FAILS(FW_ERR_CRYPTO, fw_tlog_note_verify((char *)n1.data, n1.len, mixed, 2, &info));

	/* a second signature line by b: either key verifies the note */
	OK(fw_buf_append(&n2, n1.data, n1.len));
	size_t body = strlen(text) + 1;
	struct fw_buf tmp;
	fw_buf_init(&tmp, FW_TLOG_NOTE_MAX);
	OK(fw_tlog_note_sign(text, strlen(text), "b.example/k", &b2, &tmp));
	OK(fw_buf_append(&n2, tmp.data + body, tmp.len - body));
	OK(fw_tlog_note_verify((char *)n2.data, n2.len, both, 2, &info));
	assert_int_equal(info.signed_by, 3);
	/* a tampered line of a known key rejects the note, even beside a good one */
	size_t last = n2.len - 20;
	n2.data[last] = n2.data[last] == 'A' ? 'B' : 'A';
	OK(fw_tlog_note_verify((char *)n2.data, n2.len, &ka, 1, &info));
	FAILS(FW_ERR_CRYPTO, fw_tlog_note_verify((char *)n2.data, n2.len, both, 2, &info));
	fw_buf_cleanup(&tmp);
	fw_buf_cleanup(&n2);
	fw_buf_cleanup(&n1);
	/* signing refuses texts that would not parse back */
	fw_buf_init(&n1, FW_TLOG_NOTE_MAX);
	FAILS(FW_ERR_INVALID, fw_tlog_note_sign("no newline", 10, "a", &a, &n1));
	FAILS(FW_ERR_INVALID, fw_tlog_note_sign("", 0, "a", &a, &n1));
	FAILS(FW_ERR_INVALID, fw_tlog_note_sign("tab\there\n", 10, "a", &a, &n1));
	FAILS(FW_ERR_INVALID, fw_tlog_note_sign("x\n", 2, "bad name", &a, &n1));
	assert_int_equal(n1.len, 0);
	fw_buf_cleanup(&n1);
}

static void test_note_malformed(void **state)
{
	(void)state;
	struct fw_tlog_vkey k;
	struct fw_tlog_note_info info;
	static const char *const bad[] = {
		"",
		"text\n",
		"text\n\n",
		"text\n\n" EM " PeterNeumann " PN_B64, /* no final newline */
		"text\n\n- PeterNeumann " PN_B64 "\n",
		"text\n\n" EM "PeterNeumann " PN_B64 "\n",
		"text\n\n" EM " PeterNeumann\n",
		"text\n\n" EM " PeterNeumann \n",
		"text\n\n" EM " PeterNeumann x08gow==\n", /* under 5 bytes */
		"text\n\n" EM " PeterNeumann x08go/ZJkuBS9UG/Sff!\n", /* not base64 */
		"text\n\n" EM " PeterNeumann " PN_B64 " extra\n",
		"text\n\n" EM " Peter+Neumann " PN_B64 "\n",
		"text\r\n\n" EM " PeterNeumann " PN_B64 "\n",
		"te\xffxt\n\n" EM " PeterNeumann " PN_B64 "\n",
		"text\n\n" EM " PeterNeumann " PN_B64 "\n\n",
	};
	OK(fw_tlog_vkey_parse(PN_VKEY, strlen(PN_VKEY), &k));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		FAILS(FW_ERR_INVALID, fw_tlog_note_verify(bad[i], strlen(bad[i]), &k, 1, &info));
	/* the signed-note spec's example parses; its key is unknown to us */
	const char *spec = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\n"
			   "ed \xc3\xa8 subito sera.\n\n\xe2\x80\x94 quasimodo.example/salvatore "
			   "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj9"
			   "9ihAQwaqP3ZekRwNtIc=\n";
	FAILS(FW_ERR_CRYPTO, fw_tlog_note_verify(spec, strlen(spec), &k, 1, &info));

	/* at most 100 signature lines, at most 1 MiB */
	struct fw_buf b;
	fw_buf_init(&b, 2 * FW_TLOG_NOTE_MAX);
	OK(fw_buf_puts(&b, PN_NOTE));
	const char *line = strstr(PN_NOTE, "\xe2\x80\x94");
	for (int i = 1; i < FW_TLOG_NOTE_SIGS_MAX; i++)
		OK(fw_buf_puts(&b, line));
	OK(fw_tlog_note_verify((char *)b.data, b.len, &k, 1, &info));
	OK(fw_buf_puts(&b, line));
	FAILS(FW_ERR_TOO_LARGE, fw_tlog_note_verify((char *)b.data, b.len, &k, 1, &info));
	fw_buf_reset(&b);
	while (b.len <= FW_TLOG_NOTE_MAX)
		OK(fw_buf_puts(&b, "padding line of the text\n"));
	OK(fw_buf_puts(&b, PN_NOTE));
	FAILS(FW_ERR_TOO_LARGE, fw_tlog_note_verify((char *)b.data, b.len, &k, 1, &info));
	fw_buf_cleanup(&b);
	/* more keys than a verification takes */
	FAILS(FW_ERR_INVALID, fw_tlog_note_verify(PN_NOTE, strlen(PN_NOTE), &k,
						  FW_TLOG_KEYS_MAX + 1, &info));
}

/* A log, its key, and a checkpoint note of its frontier. */
struct test_log {
	struct fw_sign_key key;
	struct fw_tlog_vkey vkey;
	struct fw_tlog_frontier f;
	uint8_t (*leaves)[HB];
	uint64_t cap;
	struct fw_buf note;
};

static void log_open(struct test_log *lg, uint64_t cap)
{
	OK(fw_minisign_keygen(&lg->key));
	OK(fw_tlog_vkey_init(&lg->vkey, "forewarn.example/log", FW_TLOG_SIG_ED25519, lg->key.pk));
	fw_tlog_frontier_init(&lg->f);
	lg->leaves = malloc(cap * HB);
	assert_non_null(lg->leaves);
	lg->cap = cap;
	fw_buf_init(&lg->note, FW_TLOG_NOTE_MAX);
}

static void log_add(struct test_log *lg, const void *entry, size_t n)
{
	assert_true(lg->f.size < lg->cap);
	fw_tlog_leaf_hash(entry, n, lg->leaves[lg->f.size]);
	OK(fw_tlog_frontier_append(&lg->f, lg->leaves[lg->f.size], NULL, NULL));
}

/* Writes the signed checkpoint of the current size into lg->note. */
static void log_sign(struct test_log *lg)
{
	struct fw_tlog_checkpoint c;
	struct fw_buf text;

	memset(&c, 0, sizeof c);
	set_str(c.origin, sizeof c.origin, lg->vkey.name);
	c.size = lg->f.size;
	fw_tlog_frontier_root(&lg->f, c.root);
	fw_buf_init(&text, 4096);
	OK(fw_tlog_checkpoint_format(&c, &text));
	fw_buf_reset(&lg->note);
	OK(fw_tlog_note_sign((char *)text.data, text.len, lg->vkey.name, &lg->key, &lg->note));
	fw_buf_cleanup(&text);
}

static void log_close(struct test_log *lg)
{
	free(lg->leaves);
	fw_buf_cleanup(&lg->note);
}

static void test_cosignatures(void **state)
{
	(void)state;
	struct test_log lg;
	struct fw_sign_key w1, w2, w3;
	struct fw_tlog_vkey wk[3];
	struct fw_tlog_note_info info;
	struct fw_tlog_checkpoint c;

	log_open(&lg, 16);
	for (int i = 0; i < 5; i++)
		log_add(&lg, &i, sizeof i);
	log_sign(&lg);
	new_key(&w1, &wk[0], "w1.example", FW_TLOG_SIG_COSIG_V1);
	new_key(&w2, &wk[1], "w2.example", FW_TLOG_SIG_COSIG_V1);
	new_key(&w3, &wk[2], "w3.example", FW_TLOG_SIG_COSIG_V1);

	OK(fw_tlog_note_verify((char *)lg.note.data, lg.note.len, &lg.vkey, 1, &info));
	size_t text_len = info.text_len;
	/* a copy: lg.note grows (and moves) as lines are added */
	char text_copy[512];
	assert_true(text_len < sizeof text_copy);
	memcpy(text_copy, lg.note.data, text_len);
	const char *text = text_copy;
	struct fw_buf line;
	fw_buf_init(&line, 1024);
	OK(fw_tlog_cosign(text, text_len, "w1.example", &w1, 1679315147, &line));

	/* the line, checked by hand: id (type 0x04) ‖ time ‖ Ed25519 over the
	 * cosigned message, assembled here independently */
	const char *b64 = strchr((char *)line.data, ' ');
	b64 = strchr(b64 + 1, ' ') + 1;
	uint8_t raw[76];
	size_t raw_len;
	OK(fw_crypto_base64_decode(b64, strlen(b64) - 1, raw, sizeof raw, &raw_len));
	assert_int_equal(raw_len, 76);
	uint8_t head[12] = {(uint8_t)(wk[0].id >> 24), (uint8_t)(wk[0].id >> 16),
			    (uint8_t)(wk[0].id >> 8), (uint8_t)wk[0].id, 0, 0, 0, 0,
			    0x64, 0x18, 0x50, 0xcb}; /* key id, then 1679315147 */
	assert_memory_equal(raw, head, 12);
	char msg[512];
	int mlen = snprintf(msg, sizeof msg, "cosignature/v1\ntime 1679315147\n%.*s", (int)text_len,
			    text);
	assert_true(mlen > 0 && (size_t)mlen < sizeof msg);
	assert_true(fw_crypto_ed25519_verify(w1.pk, (uint8_t *)msg, (size_t)mlen, raw + 12));
	uint64_t t = 0;
	OK(fw_tlog_sig_line_verify(text, text_len, (char *)line.data, line.len, &wk[0], &t));
	assert_int_equal(t, 1679315147);
	FAILS(FW_ERR_NOT_FOUND, fw_tlog_sig_line_verify(text, text_len, (char *)line.data,
							line.len, &wk[1], &t));

	/* the served checkpoint: the log's line, then the cosignatures */
	OK(fw_buf_append(&lg.note, line.data, line.len));
	fw_buf_reset(&line);
	OK(fw_tlog_cosign(text, text_len, "w2.example", &w2, 1700000000, &line));
	OK(fw_buf_append(&lg.note, line.data, line.len));
	const char *note = (const char *)lg.note.data;
	struct fw_tlog_policy pol = {
		.log_key = &lg.vkey, .witnesses = wk, .n_witnesses = 3, .quorum = 2};
	OK(fw_tlog_checkpoint_open(note, lg.note.len, &pol, &c));
	assert_int_equal(c.size, 5);
	struct fw_tlog_vkey all[4] = {lg.vkey, wk[0], wk[1], wk[2]};
	OK(fw_tlog_note_verify(note, lg.note.len, all, 4, &info));
	assert_int_equal(info.signed_by, 7);
	assert_int_equal(info.time[1], 1679315147);
	assert_int_equal(info.time[2], 1700000000);
	pol.quorum = 3;
	FAILS(FW_ERR_CRYPTO, fw_tlog_checkpoint_open(note, lg.note.len, &pol, &c));
	/* the witnesses alone are not the log */
	struct fw_tlog_vkey not_log;
	OK(fw_tlog_vkey_init(&not_log, "w1.example", FW_TLOG_SIG_ED25519, w1.pk));
	pol.log_key = &not_log;
	pol.quorum = 0;
	FAILS(FW_ERR_CRYPTO, fw_tlog_checkpoint_open(note, lg.note.len, &pol, &c));
	/* a log key must be an Ed25519 note key */
	pol.log_key = &wk[0];
	FAILS(FW_ERR_INVALID, fw_tlog_checkpoint_open(note, lg.note.len, &pol, &c));
	/* a cosignature made for another checkpoint does not carry over */
	log_add(&lg, "x", 1);
	struct fw_buf old;
	fw_buf_init(&old, FW_TLOG_NOTE_MAX);
	OK(fw_buf_append(&old, lg.note.data, lg.note.len));
	log_sign(&lg);
	char *w1_line = strstr((char *)old.data, "\xe2\x80\x94 w1.example");
	size_t cos = (size_t)(w1_line - (char *)old.data);
	OK(fw_buf_append(&lg.note, old.data + cos, old.len - cos));
	pol.log_key = &lg.vkey;
	pol.quorum = 1;
	FAILS(FW_ERR_CRYPTO, fw_tlog_checkpoint_open((char *)lg.note.data, lg.note.len, &pol, &c));
	fw_buf_cleanup(&old);
	fw_buf_cleanup(&line);
	/* timestamps past 2^63 - 1 are refused */
	fw_buf_init(&line, 1024);
	FAILS(FW_ERR_INVALID,
	      fw_tlog_cosign("o\n1\nAA==\n", 9, "w1.example", &w1, UINT64_MAX, &line));
	OK(fw_tlog_cosign("o\n1\nAA==\n", 9, "w1.example", &w1, (uint64_t)INT64_MAX, &line));
	fw_buf_cleanup(&line);
	log_close(&lg);
}

/* --- tiles ----------------------------------------------------------------------- */

static void test_tile_paths(void **state)
{
	(void)state;
	static const struct {
		struct fw_tlog_tile t;
		const char *path;
	} v[] = {
		{{false, 0, 1234067, 256}, "tile/0/x001/x234/067"},
		{{false, 0, 0, 256}, "tile/0/000"},
		{{false, 1, 999, 256}, "tile/1/999"},
		{{false, 2, 1000, 256}, "tile/2/x001/000"},
		{{false, 63, 5, 17}, "tile/63/005.p/17"},
		{{true, 0, 1234067, 255}, "tile/entries/x001/x234/067.p/255"},
		{{true, 0, 7, 1}, "tile/entries/007.p/1"},
		{{false, 0, UINT64_MAX, 1}, "tile/0/x018/x446/x744/x073/x709/x551/615.p/1"},
	};
	char p[FW_TLOG_TILE_PATH_BYTES];
	struct fw_tlog_tile t;

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		OK(fw_tlog_tile_path(&v[i].t, p));
		assert_string_equal(p, v[i].path);
		OK(fw_tlog_tile_path_parse(p, strlen(p), &t));
		assert_int_equal(t.entries, v[i].t.entries);
		assert_int_equal(t.level, v[i].t.level);
		assert_true(t.index == v[i].t.index);
		assert_int_equal(t.width, v[i].t.width);
	}
	for (int i = 0; i < 2000; i++) {
		struct fw_tlog_tile a = {(rng() & 1) != 0, 0, rng() >> (rng() % 64),
					 1 + (unsigned)(rng() % 256)};
		if (!a.entries)
			a.level = (unsigned)(rng() % 64);
		OK(fw_tlog_tile_path(&a, p));
		OK(fw_tlog_tile_path_parse(p, strlen(p), &t));
		assert_int_equal(t.entries, a.entries);
		assert_int_equal(t.level, a.level);
		assert_true(t.index == a.index);
		assert_int_equal(t.width, a.width);
	}
	static const char *const bad[] = {
		"tile/00/000", "tile/64/000", "tile/-1/000", "tile//000", "tile/0/",
		"tile/0/00", "tile/0/0000", "tile/0/1234", "tile/0/x000/001", "tile/0/x001",
		"tile/0/x001/", "tile/0/001/", "tile/0/x01/234", "tile/0/001.p/0",
		"tile/0/001.p/256", "tile/0/001.p/05", "tile/0/001.p/", "tile/0/001.p5",
		"tile/0/001.q/5", "tile/0/00a", "/tile/0/000", "tiles/0/000", "tile/0/000 ",
		"tile/entries/x000/001", "tile/entries/1/000", "tile/entry/000",
		"tile/0/x018/x446/x744/x073/x709/x551/616",
		"tile/0/x001/x018/x446/x744/x073/x709/x551/615", "TILE/0/000", "tile/1/X001/000",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		FAILS(FW_ERR_INVALID, fw_tlog_tile_path_parse(bad[i], strlen(bad[i]), &t));
	struct fw_tlog_tile badt = {true, 1, 0, 256};
	FAILS(FW_ERR_INVALID, fw_tlog_tile_path(&badt, p));
	badt = (struct fw_tlog_tile){false, 0, 0, 0};
	FAILS(FW_ERR_INVALID, fw_tlog_tile_path(&badt, p));
	badt = (struct fw_tlog_tile){false, 64, 0, 256};
	FAILS(FW_ERR_INVALID, fw_tlog_tile_path(&badt, p));
}

/* The width of tile (level, index) in a tree of size; 0 if it has none. */
static unsigned width_at(uint64_t size, unsigned level, uint64_t index)
{
	struct fw_tlog_tile t;
	enum fw_err r = fw_tlog_tile_at(size, level, index, &t);
	assert_true(r == FW_OK || r == FW_ERR_NOT_FOUND);
	return r == FW_OK ? t.width : 0;
}

static void test_tile_coverage(void **state)
{
	(void)state;
	/* the tlog-tiles examples: sizes 70,000 and 256 */
	static const struct {
		uint64_t size;
		unsigned level;
		uint64_t index;
		unsigned width;
	} at[] = {
		{70000, 0, 272, 256}, {70000, 0, 273, 112}, {70000, 0, 274, 0}, {70000, 1, 0, 256},
		{70000, 1, 1, 17},    {70000, 1, 2, 0},     {70000, 2, 0, 1},    {70000, 3, 0, 0},
		{256, 0, 0, 256},     {256, 0, 1, 0},       {256, 1, 0, 1},      {255, 1, 0, 0},
		{0, 0, 0, 0},         {UINT64_MAX, 7, 0, 255}, {UINT64_MAX, 8, 0, 0},
		{UINT64_MAX, 63, 0, 0},
	};
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
		assert_int_equal(width_at(at[i].size, at[i].level, at[i].index), at[i].width);
	assert_int_equal(fw_tlog_tile_levels(70000), 3);
	assert_int_equal(fw_tlog_tile_count(70000, 0), 274);
	assert_int_equal(fw_tlog_tile_count(70000, 1), 2);
	assert_int_equal(fw_tlog_tile_count(70000, 2), 1);
	assert_int_equal(fw_tlog_tile_count(70000, 3), 0);
	assert_int_equal(fw_tlog_tile_levels(256), 2);
	assert_int_equal(fw_tlog_tile_levels(255), 1);
	assert_int_equal(fw_tlog_tile_levels(0), 0);
	assert_int_equal(fw_tlog_tile_levels(UINT64_MAX), 8);
	assert_int_equal(fw_tlog_tile_count(0, 0), 0);
	/* what a server may serve: every hash of the tile exists at its size */
	static const struct {
		struct fw_tlog_tile t;
		uint64_t size;
		bool in;
	} serve[] = {
		{{false, 0, 272, 256}, 70000, true}, {{false, 0, 273, 112}, 70000, true},
		{{false, 0, 273, 100}, 70000, true}, {{false, 0, 273, 113}, 70000, false},
		{{true, 0, 273, 112}, 70000, true},  {{false, 1, 1, 17}, 70000, true},
		{{false, 1, 1, 18}, 70000, false},   {{false, 1, 0, 256}, 65535, false},
		{{false, 1, 0, 256}, 65536, true},
		{{false, 0, UINT64_MAX, 256}, UINT64_MAX, false},
	};
	for (size_t i = 0; i < sizeof serve / sizeof serve[0]; i++)
		assert_int_equal(fw_tlog_tile_is_in_tree(&serve[i].t, serve[i].size), serve[i].in);
}

/* A tile store as the store module would keep it: every hash at levels
 * 0, 8, 16 …, filled from the frontier's sink. */
struct tile_store {
	uint8_t (*level[3])[HB];
	uint64_t n[3], cap[3];
	unsigned reads;
};

static enum fw_err store_sink(void *ctx, unsigned level, uint64_t index, const uint8_t hash[HB])
{
	struct tile_store *s = ctx;
	if (level % 8)
		return FW_OK;
	unsigned l = level / 8;
	assert_true(l < 3 && index == s->n[l] && index < s->cap[l]);
	memcpy(s->level[l][s->n[l]++], hash, HB);
	return FW_OK;
}

static enum fw_err store_read(void *ctx, const struct fw_tlog_tile *t, uint8_t *out)
{
	struct tile_store *s = ctx;
	s->reads++;
	if (t->level >= 3 || t->index * 256 + t->width > s->n[t->level])
		return FW_ERR_NOT_FOUND;
	memcpy(out, s->level[t->level][t->index * 256], (size_t)t->width * HB);
	return FW_OK;
}

static void test_tile_reader_proofs(void **state)
{
	(void)state;
	enum { N = 70000 };
	struct tile_store s = {.n = {0}};
	struct fw_tlog_frontier f, at[4];
	uint64_t sizes[4] = {1, 256, 65536, 69999};
	uint8_t(*l)[HB] = random_leaves(N);
	uint8_t root[HB], got[HB];
	int snap = 0;

	for (int i = 0; i < 3; i++) {
		s.cap[i] = N;
		s.level[i] = malloc(N * HB);
		assert_non_null(s.level[i]);
	}
	fw_tlog_frontier_init(&f);
	for (uint64_t i = 0; i < N; i++) {
		OK(fw_tlog_frontier_append(&f, l[i], store_sink, &s));
		if (snap < 4 && f.size == sizes[snap])
			at[snap++] = f;
	}
	assert_int_equal(s.n[0], N);
	assert_int_equal(s.n[1], N / 256);
	assert_int_equal(s.n[2], 1);
	fw_tlog_frontier_root(&f, root);
	struct fw_tlog_tile_reader rd = {N, store_read, &s};
	OK(fw_tlog_tree_hash(N, fw_tlog_tile_reader_node, &rd, got));
	assert_memory_equal(got, root, HB);
	/* the frontier reloads from tiles after a "restart" */
	struct fw_tlog_frontier g;
	OK(fw_tlog_frontier_load(&g, N, fw_tlog_tile_reader_node, &rd));
	assert_frontier_equal(&g, &f);
	/* inclusion proofs served from tiles verify against the frontier's root */
	for (int i = 0; i < 200; i++) {
		uint64_t x = i < 4 ? (uint64_t[]){0, 255, 65535, N - 1}[i] : rng() % N;
		struct fw_tlog_proof p;
		OK(fw_tlog_inclusion_proof(x, N, fw_tlog_tile_reader_node, &rd, &p));
		OK(fw_tlog_inclusion_verify(x, N, l[x], &p, root));
	}
	/* consistency from each earlier size; those trees are served from the
	 * same tiles, read at their own (partial) widths */
	for (int i = 0; i < 4; i++) {
		uint8_t old[HB];
		struct fw_tlog_proof p;
		fw_tlog_frontier_root(&at[i], old);
		OK(fw_tlog_consistency_proof(sizes[i], N, fw_tlog_tile_reader_node, &rd, &p));
		OK(fw_tlog_consistency_verify(sizes[i], N, old, root, &p));
		struct fw_tlog_tile_reader past = {sizes[i], store_read, &s};
		OK(fw_tlog_tree_hash(sizes[i], fw_tlog_tile_reader_node, &past, got));
		assert_memory_equal(got, old, HB);
	}
	/* a reader never asks for a node that is not complete at its size */
	struct fw_tlog_tile_reader small = {300, store_read, &s};
	FAILS(FW_ERR_NOT_FOUND, fw_tlog_tile_reader_node(&small, 9, 0, got));
	FAILS(FW_ERR_NOT_FOUND, fw_tlog_tile_reader_node(&small, 8, 1, got));
	OK(fw_tlog_tile_reader_node(&small, 8, 0, got));
	assert_memory_equal(got, s.level[1][0], HB);
	/* tile contents from a hash source, and a full tile's hash one level up */
	uint8_t tile[FW_TLOG_TILE_BYTES];
	struct fw_tlog_tile t1;
	OK(fw_tlog_tile_at(N, 1, 0, &t1));
	OK(fw_tlog_tile_read(&t1, fw_tlog_tile_reader_node, &rd, tile, sizeof tile));
	assert_memory_equal(tile, s.level[1][0], FW_TLOG_TILE_BYTES);
	OK(fw_tlog_hashes_root(tile, 256, got));
	assert_memory_equal(got, s.level[2][0], HB);
	FAILS(FW_ERR_TOO_LARGE, fw_tlog_tile_read(&t1, fw_tlog_tile_reader_node, &rd, tile, 100));
	for (int i = 0; i < 3; i++)
		free(s.level[i]);
	free(l);
}

/* An event's entry commits to its details, however long: a trace that
 * accuses a thousand members still makes one small entry, and the same
 * details make the same entry. */
static void test_event_entry_long_details(void **state)
{
	(void)state;
	static const uint8_t key[FW_CRYPTO_KEY_BYTES] = {3};
	struct fw_buf details, e1, e2;
	fw_buf_init(&details, FW_TLOG_EVENT_DETAILS_MAX);
	fw_buf_init(&e1, FW_TLOG_ENTRY_MAX);
	fw_buf_init(&e2, FW_TLOG_ENTRY_MAX);
	assert_int_equal(fw_buf_puts(&details, "kind poc run 7 files 00 accused"), FW_OK);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(fw_buf_printf(&details, " member-with-a-long-identifier-%04d", i), FW_OK);
	assert_true(details.len > 30000);
	assert_int_equal(fw_tlog_entry_event(key, "trace", "sp-rce", fw_buf_str(&details), 1751994000, &e1), FW_OK);
	assert_int_equal(fw_tlog_entry_event(key, "trace", "sp-rce", fw_buf_str(&details), 1751994000, &e2), FW_OK);
	assert_true(e1.len < 200);
	assert_int_equal(e1.len, e2.len);
	assert_memory_equal(e1.data, e2.data, e1.len);
	assert_null(strstr(fw_buf_str(&e1), "sp-rce"));
	fw_buf_cleanup(&details);
	fw_buf_cleanup(&e1);
	fw_buf_cleanup(&e2);
}

static void test_entry_bundles(void **state)
{
	(void)state;
	struct fw_buf b;
	uint8_t *big = calloc(1, FW_TLOG_ENTRY_MAX + 1);
	uint8_t hashes[4][HB];
	const uint8_t *hp = (const uint8_t *)hashes;
	const uint8_t *e;
	size_t n;

	assert_non_null(big);
	fw_buf_init(&b, 1 << 20);
	OK(fw_tlog_bundle_append(&b, NULL, 0));
	OK(fw_tlog_bundle_append(&b, (const uint8_t *)"a", 1));
	OK(fw_tlog_bundle_append(&b, big, FW_TLOG_ENTRY_MAX));
	OK(fw_tlog_bundle_append(&b, (const uint8_t *)"xyz", 3));
	size_t len = b.len;
	FAILS(FW_ERR_TOO_LARGE, fw_tlog_bundle_append(&b, big, FW_TLOG_ENTRY_MAX + 1));
	assert_int_equal(b.len, len);
	assert_int_equal(len, 2 + 3 + 2 + FW_TLOG_ENTRY_MAX + 5);
	assert_memory_equal(b.data, "\x00\x00\x00\x01" "a\xff\xff", 7);
	fw_tlog_leaf_hash(NULL, 0, hashes[0]);
	fw_tlog_leaf_hash((const uint8_t *)"a", 1, hashes[1]);
	fw_tlog_leaf_hash(big, FW_TLOG_ENTRY_MAX, hashes[2]);
	fw_tlog_leaf_hash((const uint8_t *)"xyz", 3, hashes[3]);

	struct fw_tlog_bundle_iter it;
	fw_tlog_bundle_iter_init(&it, b.data, b.len);
	size_t count = 0;
	while (fw_tlog_bundle_next(&it, &e, &n) == FW_OK)
		count++;
	assert_int_equal(count, 4);
	OK(fw_tlog_bundle_verify(b.data, b.len, 4, hp));
	FAILS(FW_ERR_CRYPTO, fw_tlog_bundle_verify(b.data, b.len, 3, hp));
	FAILS(FW_ERR_CRYPTO, fw_tlog_bundle_verify(b.data, b.len, 5, hp));
	/* truncated anywhere inside an entry or its length */
	for (size_t cut = 1; cut < 8; cut++) {
		if (cut == 5) {
			/* exactly the last entry gone: well formed, one short */
			FAILS(FW_ERR_CRYPTO, fw_tlog_bundle_verify(b.data, b.len - cut, 4, hp));
			continue;
		}
		fw_tlog_bundle_iter_init(&it, b.data, b.len - cut);
		enum fw_err r;
		while ((r = fw_tlog_bundle_next(&it, &e, &n)) == FW_OK)
			;
		FAILS(FW_ERR_INVALID, r);
		FAILS(FW_ERR_INVALID, fw_tlog_bundle_verify(b.data, b.len - cut, 4, hp));
	}
	b.data[b.len - 1] ^= 1;
	FAILS(FW_ERR_CRYPTO, fw_tlog_bundle_verify(b.data, b.len, 4, hp));
	fw_buf_cleanup(&b);
	free(big);
}

/* --- receipts ---------------------------------------------------------------- */

static enum fw_err receipt_check(const struct fw_buf *b, const uint8_t leaf[HB],
				 const struct fw_tlog_policy *pol)
{
	return fw_tlog_receipt_verify((const char *)b->data, b->len, leaf, pol, NULL, NULL);
}

static void test_receipts(void **state)
{
	(void)state;
	struct test_log lg;
	struct fw_tlog_receipt rc;
	struct fw_tlog_checkpoint c;
	struct fw_tlog_proof p;
	struct fw_buf r;
	char entry[32];

	log_open(&lg, 16);
	for (int i = 0; i < 10; i++) {
		int w = snprintf(entry, sizeof entry, "delivery %d", i);
		log_add(&lg, entry, (size_t)w);
	}
	log_sign(&lg);
	struct fw_tlog_leaves src = {(const uint8_t(*)[HB])lg.leaves, 10};
	struct fw_tlog_policy pol = {.log_key = &lg.vkey};
	fw_buf_init(&r, FW_TLOG_RECEIPT_MAX);
	for (uint64_t x = 0; x < 10; x++) {
		fw_buf_reset(&r);
		OK(fw_tlog_inclusion_proof(x, 10, fw_tlog_leaves_node, &src, &p));
		const uint8_t *extra = x == 3 ? (const uint8_t *)"ctx" : NULL;
		OK(fw_tlog_receipt_format(x, &p, extra, extra ? 3 : 0, (char *)lg.note.data,
					  lg.note.len, &r));
		OK(fw_tlog_receipt_verify((char *)r.data, r.len, lg.leaves[x], &pol, &rc, &c));
		assert_true(rc.index == x);
		assert_int_equal(c.size, 10);
		assert_int_equal(rc.note_len, lg.note.len);
		if (x == 3) {
			assert_int_equal(rc.extra_b64_len, 4);
			assert_memory_equal(rc.extra_b64, "Y3R4", 4);
		} else {
			assert_null(rc.extra_b64);
		}
		/* another entry's leaf is not proven by it */
		FAILS(FW_ERR_CRYPTO, receipt_check(&r, lg.leaves[(x + 1) % 10], &pol));
	}
	/* the exact text for entry 9 */
	const char *s = (const char *)r.data;
	assert_true(strncmp(s, "c2sp.org/tlog-proof@v1\nindex 9\n", 31) == 0);
	char hb[45];
	OK(fw_crypto_base64_encode(p.hash[0], HB, hb, sizeof hb));
	assert_true(strncmp(s + 31, hb, 44) == 0 && s[75] == '\n');
	assert_int_equal(p.n, 2);
	assert_true(strncmp(s + 76 + 45, "\n", 1) == 0);
	assert_memory_equal(s + 76 + 46, lg.note.data, lg.note.len);

	/* tampering: index, a proof hash, the checkpoint, the key */
	struct fw_buf t;
	fw_buf_init(&t, FW_TLOG_RECEIPT_MAX);
	OK(fw_buf_append(&t, r.data, r.len));
	t.data[29] = '8';
	FAILS(FW_ERR_CRYPTO, receipt_check(&t, lg.leaves[9], &pol));
	t.data[29] = '9';
	t.data[40] = t.data[40] == 'A' ? 'B' : 'A';
	assert_int_not_equal(receipt_check(&t, lg.leaves[9], &pol), FW_OK);
	fw_buf_reset(&t);
	OK(fw_buf_append(&t, r.data, r.len));
	char *sz = strstr((char *)t.data + 76, "\n10\n");
	sz[2] = '1';
	FAILS(FW_ERR_CRYPTO, receipt_check(&t, lg.leaves[9], &pol));
	struct fw_tlog_vkey other = lg.vkey;
	other.pk[3] ^= 1;
	struct fw_tlog_policy wrong = {.log_key = &other};
	FAILS(FW_ERR_CRYPTO, receipt_check(&r, lg.leaves[9], &wrong));
	/* an index past the checkpoint */
	fw_buf_reset(&t);
	OK(fw_tlog_receipt_format(10, &p, NULL, 0, (char *)lg.note.data, lg.note.len, &t));
	FAILS(FW_ERR_CRYPTO, receipt_check(&t, lg.leaves[9], &pol));
	fw_buf_cleanup(&t);

	/* a one-entry log: an empty proof */
	struct test_log one;
	log_open(&one, 1);
	log_add(&one, "only", 4);
	log_sign(&one);
	struct fw_tlog_leaves src1 = {(const uint8_t(*)[HB])one.leaves, 1};
	OK(fw_tlog_inclusion_proof(0, 1, fw_tlog_leaves_node, &src1, &p));
	assert_int_equal(p.n, 0);
	fw_buf_reset(&r);
	OK(fw_tlog_receipt_format(0, &p, NULL, 0, (char *)one.note.data, one.note.len, &r));
	assert_true(strncmp((char *)r.data, "c2sp.org/tlog-proof@v1\nindex 0\n\n", 32) == 0);
	struct fw_tlog_policy pol1 = {.log_key = &one.vkey};
	OK(fw_tlog_receipt_verify((char *)r.data, r.len, one.leaves[0], &pol1, &rc, &c));
	log_close(&one);
	fw_buf_cleanup(&r);
	log_close(&lg);
}

static void test_receipt_parse_rejects(void **state)
{
	(void)state;
	struct fw_tlog_receipt rc;
	static const char *const bad[] = {
		"",
		"c2sp.org/tlog-proof@v2\nindex 0\n\nnote\n",
		"c2sp.org/tlog-proof@v1\n",
		"c2sp.org/tlog-proof@v1\nindex 01\n\nnote\n",
		"c2sp.org/tlog-proof@v1\nindex\n\nnote\n",
		"c2sp.org/tlog-proof@v1\nindex -1\n\nnote\n",
		"c2sp.org/tlog-proof@v1\nindex 1\nnote\n",
		"c2sp.org/tlog-proof@v1\nindex 1\n\n",
		"c2sp.org/tlog-proof@v1\nindex 1\ngSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPl==\n\nn\n",
		"c2sp.org/tlog-proof@v1\nindex 1\ngSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ\n\nn\n",
		"c2sp.org/tlog-proof@v1\nextra \nindex 1\n\nn\n",
		"c2sp.org/tlog-proof@v1\nextra @@@@\nindex 1\n\nn\n",
		"c2sp.org/tlog-proof@v1\nindex 1\nextra Y3R4\n\nn\n",
		"c2sp.org/tlog-proof@v1\r\nindex 1\n\nn\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		FAILS(FW_ERR_INVALID, fw_tlog_receipt_parse(bad[i], strlen(bad[i]), &rc));
	/* the spec example's shape (its checkpoint is not verified here) */
	const char *ex = "c2sp.org/tlog-proof@v1\nindex 73894\n"
			 "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
			 "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
			 "EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n"
			 "RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n"
			 "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n\n"
			 "example.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n\n"
			 "\xe2\x80\x94 example.com/fancylog hI2DJw==\n";
	OK(fw_tlog_receipt_parse(ex, strlen(ex), &rc));
	assert_int_equal(rc.index, 73894);
	assert_int_equal(rc.proof.n, 5);
	assert_true(strncmp(rc.note, "example.com/fancylog\n", 21) == 0);
	/* at most 64 proof hashes */
	struct fw_buf b;
	fw_buf_init(&b, 1 << 16);
	OK(fw_buf_puts(&b, "c2sp.org/tlog-proof@v1\nindex 1\n"));
	for (int i = 0; i < FW_TLOG_PROOF_MAX; i++)
		OK(fw_buf_puts(&b, "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"));
	size_t keep = b.len;
	OK(fw_buf_puts(&b, "\nn\n"));
	OK(fw_tlog_receipt_parse((char *)b.data, b.len, &rc));
	b.len = keep;
	OK(fw_buf_puts(&b, "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n\nn\n"));
	FAILS(FW_ERR_INVALID, fw_tlog_receipt_parse((char *)b.data, b.len, &rc));
	fw_buf_cleanup(&b);
}

static int group_setup(void **state)
{
	(void)state;
	if (fw_crypto_init() != FW_OK)
		return -1;
	ct_setup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_roots_of_test_tree),
		cmocka_unit_test(test_published_inclusion_proofs),
		cmocka_unit_test(test_published_consistency_proofs),
		cmocka_unit_test(test_inclusion_all_pairs_test_tree),
		cmocka_unit_test(test_consistency_all_pairs_test_tree),
		cmocka_unit_test(test_proofs_random_trees),
		cmocka_unit_test(test_frontier_matches_mth),
		cmocka_unit_test(test_frontier_published_roots),
		cmocka_unit_test(test_frontier_sink),
		cmocka_unit_test(test_checkpoint_round_trip),
		cmocka_unit_test(test_checkpoint_parse_rejects),
		cmocka_unit_test(test_vkey_parse_format),
		cmocka_unit_test(test_note_known_answers),
		cmocka_unit_test(test_note_rules),
		cmocka_unit_test(test_note_malformed),
		cmocka_unit_test(test_cosignatures),
		cmocka_unit_test(test_tile_paths),
		cmocka_unit_test(test_tile_coverage),
		cmocka_unit_test(test_tile_reader_proofs),
		cmocka_unit_test(test_entry_bundles),
		cmocka_unit_test(test_event_entry_long_details),
		cmocka_unit_test(test_receipts),
		cmocka_unit_test(test_receipt_parse_rejects),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
