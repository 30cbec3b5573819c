/* C2SP tlog-tiles (c2sp.org/tlog-tiles): tile coordinates and paths, the
 * hashes a tile holds, a hash source that reads tiles, and entry bundles. */
#include <stdio.h>
#include <string.h>

#include "tlog/internal.h"
#include "tlog/tlog.h"

#define HB FW_TLOG_HASH_BYTES
#define W FW_TLOG_TILE_WIDTH
/* Levels whose hashes exist in a 2^64 tree: 8·L ≤ 63. */
#define HASH_LEVEL_MAX ((FW_TLOG_MAX_LEVELS - 1) / FW_TLOG_TILE_HEIGHT)

/* Hashes at Merkle level 8·level in a tree of size (0 past the top). */
static uint64_t hashes_at(uint64_t size, unsigned level)
{
	unsigned shift = level * FW_TLOG_TILE_HEIGHT;
	return shift >= 64 ? 0 : size >> shift;
}

static bool tile_is_valid(const struct fw_tlog_tile *t)
{
	return t && t->width >= 1 && t->width <= W && t->level <= FW_TLOG_TILE_LEVEL_MAX &&
	       !(t->entries && t->level != 0);
}

/* --- paths -------------------------------------------------------------- */

enum fw_err fw_tlog_tile_path(const struct fw_tlog_tile *t, char out[FW_TLOG_TILE_PATH_BYTES])
{
	unsigned groups[7];
	size_t ng = 0, o;
	uint64_t n;
	int w;

	if (!tile_is_valid(t))
		return FW_ERR_INVALID;
	w = t->entries ? snprintf(out, FW_TLOG_TILE_PATH_BYTES, "tile/entries/")
		       : snprintf(out, FW_TLOG_TILE_PATH_BYTES, "tile/%u/", t->level);
	if (w < 0 || w >= FW_TLOG_TILE_PATH_BYTES)
		return FW_ERR_INTERNAL;
	o = (size_t)w;
	/* 2^64 - 1 has 20 digits: at most 7 groups of three */
	n = t->index;
	do {
		groups[ng++] = (unsigned)(n % 1000);
		n /= 1000;
	} while (n);
	while (ng--) {
		w = snprintf(out + o, FW_TLOG_TILE_PATH_BYTES - o, ng ? "x%03u/" : "%03u", groups[ng]);
		if (w < 0 || (size_t)w >= FW_TLOG_TILE_PATH_BYTES - o)
			return FW_ERR_INTERNAL;
		o += (size_t)w;
	}
	if (t->width < W) {
		w = snprintf(out + o, FW_TLOG_TILE_PATH_BYTES - o, ".p/%u", t->width);
		if (w < 0 || (size_t)w >= FW_TLOG_TILE_PATH_BYTES - o)
			return FW_ERR_INTERNAL;
	}
	return FW_OK;
}

static bool three_digits(const char *s, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 3; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

/* N as "x001/x234/067", then an optional ".p/<W>", to the end of s. */
static enum fw_err parse_index(const char *s, size_t n, struct fw_tlog_tile *t)
{
	uint64_t idx = 0;
	size_t groups = 0, pos = 0;
	unsigned g;

	for (;;) {
		bool more = pos < n && s[pos] == 'x';
		pos += more;
		if (n - pos < 3 || !three_digits(s + pos, &g))
			return FW_ERR_INVALID;
		/* canonical: no leading zero group; and no overflow */
		if ((groups > 0 && idx > (UINT64_MAX - g) / 1000) || (groups == 0 && more && g == 0))
			return FW_ERR_INVALID;
		idx = idx * 1000 + g;
		groups++;
		pos += 3;
		if (!more)
			break;
		if (pos >= n || s[pos] != '/')
			return FW_ERR_INVALID;
		pos++;
	}
	t->index = idx;
	t->width = W;
	if (pos == n)
		return FW_OK;
	uint64_t width;
	if (n - pos < 4 || memcmp(s + pos, ".p/", 3) != 0 ||
	    !fw_tlog_parse_u64(s + pos + 3, n - pos - 3, &width) || width < 1 || width >= W)
		return FW_ERR_INVALID;
	t->width = (unsigned)width;
	return FW_OK;
}

enum fw_err fw_tlog_tile_path_parse(const char *s, size_t n, struct fw_tlog_tile *out)
{
	struct fw_tlog_tile t = {.entries = false, .level = 0, .index = 0, .width = W};
	size_t pos;
	enum fw_err r;

	if (!s || n >= FW_TLOG_TILE_PATH_BYTES || n < 9 || memcmp(s, "tile/", 5) != 0)
		return FW_ERR_INVALID;
	pos = 5;
	if (n - pos >= 8 && memcmp(s + pos, "entries/", 8) == 0) {
		t.entries = true;
		pos += 8;
	} else {
		const char *slash = memchr(s + pos, '/', n - pos);
		uint64_t level;
		if (!slash || !fw_tlog_parse_u64(s + pos, (size_t)(slash - (s + pos)), &level) ||
		    level > FW_TLOG_TILE_LEVEL_MAX)
			return FW_ERR_INVALID;
		t.level = (unsigned)level;
		pos = (size_t)(slash - s) + 1;
	}
	if ((r = parse_index(s + pos, n - pos, &t)) != FW_OK)
		return r;
	*out = t;
	return FW_OK;
}

/* --- which tiles -------------------------------------------------------- */

unsigned fw_tlog_tile_levels(uint64_t size)
{
	unsigned l = 0;

	while (l <= FW_TLOG_TILE_LEVEL_MAX && hashes_at(size, l))
		l++;
	return l;
}

uint64_t fw_tlog_tile_count(uint64_t size, unsigned level)
{
	uint64_t m = hashes_at(size, level);

	return (m >> 8) + ((m & (W - 1)) ? 1 : 0);
}

enum fw_err fw_tlog_tile_at(uint64_t size, unsigned level, uint64_t index,
			    struct fw_tlog_tile *out)
{
	uint64_t m = hashes_at(size, level), full = m >> 8;
	unsigned rest = (unsigned)(m & (W - 1));

	if (level > FW_TLOG_TILE_LEVEL_MAX)
		return FW_ERR_INVALID;
	if (index > full || (index == full && rest == 0))
		return FW_ERR_NOT_FOUND;
	out->entries = false;
	out->level = level;
	out->index = index;
	out->width = index < full ? W : rest;
	return FW_OK;
}

bool fw_tlog_tile_is_in_tree(const struct fw_tlog_tile *t, uint64_t size)
{
	if (!tile_is_valid(t) || t->index > (UINT64_MAX - t->width) / W)
		return false;
	/* the tile's last hash is number index·256 + width at its level */
	return t->index * W + t->width <= hashes_at(size, t->level);
}

/* --- tile contents ------------------------------------------------------ */

enum fw_err fw_tlog_tile_read(const struct fw_tlog_tile *t, fw_tlog_node_fn node, void *ctx,
			      uint8_t *out, size_t out_bytes)
{
	enum fw_err r;

	if (!tile_is_valid(t) || t->entries || !node || !out)
		return FW_ERR_INVALID;
	if (t->level > HASH_LEVEL_MAX || t->index > (UINT64_MAX - t->width) / W)
		return FW_ERR_NOT_FOUND;
	if (out_bytes < (size_t)t->width * HB)
		return FW_ERR_TOO_LARGE;
	for (unsigned i = 0; i < t->width; i++) {
		r = node(ctx, t->level * FW_TLOG_TILE_HEIGHT, t->index * W + i, out + (size_t)i * HB);
		if (r != FW_OK)
			return r;
	}
	return FW_OK;
}

enum fw_err fw_tlog_hashes_root(const uint8_t *hashes, size_t count, uint8_t out[HB])
{
	struct fw_tlog_frontier f;
	enum fw_err r;

	if (!hashes || count == 0)
		return FW_ERR_INVALID;
	fw_tlog_frontier_init(&f);
	for (size_t i = 0; i < count; i++)
		if ((r = fw_tlog_frontier_append(&f, hashes + i * HB, NULL, NULL)) != FW_OK)
			return r;
	fw_tlog_frontier_root(&f, out);
	return FW_OK;
}

enum fw_err fw_tlog_tile_reader_node(void *reader, unsigned level, uint64_t index,
				     uint8_t out[HB])
{
	const struct fw_tlog_tile_reader *rd = reader;
	uint8_t buf[FW_TLOG_TILE_BYTES];
	struct fw_tlog_tile t;
	unsigned tl = level / FW_TLOG_TILE_HEIGHT, h = level % FW_TLOG_TILE_HEIGHT;
	enum fw_err r;

	if (!rd || !rd->read || level >= FW_TLOG_MAX_LEVELS)
		return FW_ERR_INVALID;
	if (index > (UINT64_MAX >> h))
		return FW_ERR_NOT_FOUND;
	/* The node spans 2^h consecutive hashes of one tile at level tl. */
	uint64_t first = index << h;
	unsigned off = (unsigned)(first % W), count = 1u << h;
	if ((r = fw_tlog_tile_at(rd->size, tl, first / W, &t)) != FW_OK)
		return r;
	if (off + count > t.width)
		return FW_ERR_NOT_FOUND;
	if ((r = rd->read(rd->ctx, &t, buf)) != FW_OK)
		return r;
	return fw_tlog_hashes_root(buf + (size_t)off * HB, count, out);
}

/* --- entry bundles ------------------------------------------------------ */

enum fw_err fw_tlog_bundle_append(struct fw_buf *b, const uint8_t *entry, size_t n)
{
	uint8_t len[2];
	size_t start = b->len;
	enum fw_err r;

	if (!entry && n)
		return FW_ERR_INVALID;
	if (n > FW_TLOG_ENTRY_MAX)
		return FW_ERR_TOO_LARGE;
	len[0] = (uint8_t)(n >> 8);
	len[1] = (uint8_t)n;
	if ((r = fw_buf_append(b, len, 2)) != FW_OK || (r = fw_buf_append(b, entry, n)) != FW_OK)
		fw_tlog_buf_truncate(b, start);
	return r;
}

void fw_tlog_bundle_iter_init(struct fw_tlog_bundle_iter *it, const uint8_t *b, size_t n)
{
	it->p = b;
	it->end = b ? b + n : b;
}

enum fw_err fw_tlog_bundle_next(struct fw_tlog_bundle_iter *it, const uint8_t **entry,
				size_t *n)
{
	size_t left = (size_t)(it->end - it->p), len;

	if (left == 0)
		return FW_ERR_NOT_FOUND;
	if (left < 2)
		return FW_ERR_INVALID;
	len = (size_t)it->p[0] << 8 | it->p[1];
	if (left - 2 < len)
		return FW_ERR_INVALID;
	*entry = it->p + 2;
	*n = len;
	it->p += 2 + len;
	return FW_OK;
}

enum fw_err fw_tlog_bundle_verify(const uint8_t *b, size_t n, unsigned width,
				  const uint8_t *hashes)
{
	struct fw_tlog_bundle_iter it;
	const uint8_t *e;
	uint8_t h[HB];
	size_t len;
	unsigned count = 0;
	enum fw_err r;

	if (!b || !hashes || width < 1 || width > W)
		return FW_ERR_INVALID;
	fw_tlog_bundle_iter_init(&it, b, n);
	while ((r = fw_tlog_bundle_next(&it, &e, &len)) == FW_OK) {
		if (count == width)
			return FW_ERR_CRYPTO;
		fw_tlog_leaf_hash(e, len, h);
		if (!fw_crypto_equal(h, hashes + (size_t)count * HB, HB))
			return FW_ERR_CRYPTO;
		count++;
	}
	if (r != FW_ERR_NOT_FOUND)
		return r;
	return count == width ? FW_OK : FW_ERR_CRYPTO;
}
