/* Extraction: which alternative each point shows in a suspect copy.
 *
 * Everything is compared with whitespace removed, so re-indentation, CRLF,
 * re-wrapped lines and changed spacing do not matter. A use of a point is
 * located by a pattern: the template text on its left and right, up to a
 * width (bytes), where a neighbouring use inside that width is a wildcard
 * that accepts any of its alternatives:
 *
 *     …left text… [alt of a neighbour] …left text… ⟨TARGET⟩ …right text… [alt] …
 *
 * The pattern is searched from its longest literal piece, then matched
 * outwards with backtracking over wildcard alternatives. A use is read when
 * exactly one (position, alternative) of the target fits; with several the
 * width grows (8, 16, … 384 bytes) and the search is repeated. When nothing
 * fits — an edit next to the point, such as a comment added at the end of
 * its line — the use is looked for by one side alone; such a reading must
 * end (or start) at a token boundary of the copy, so an alternative that was
 * extended ("0x100" → "0x1000") is not taken for the original, and an
 * empty alternative is never read this way. Each use and way of locating it
 * starts at the width at which its pattern is unique in reference renderings
 * of the template (computed once, by the parser), so a context that repeats
 * in the template itself is never trusted. Work is bounded by a step budget;
 * running out is an erasure. Nothing here sees a member or a member's copy. */
#include <stdlib.h>
#include <string.h>

#include "mark/internal.h"

const uint32_t mark_level_width[MARK_LEVELS] = {8, 16, 32, 64, 128, 256, 384};

#define MAX_WILD 3 /* neighbouring uses taken into one side of a context */
#define MAX_ELEMS (2 * (2 * MAX_WILD + 1) + 1)
#define USE_BUDGET 2000000L        /* matching steps for one use at one width */
#define ANALYSIS_BUDGET 400000000L /* for the parser's analysis of a template */
#define EXTRACT_BUDGET 800000000L  /* for one extraction */

struct elem {
	const char *s; /* literal (point == NULL) */
	size_t len;
	const struct mark_point *point; /* wildcard or target */
};

struct pattern {
	struct elem e[MAX_ELEMS];
	size_t n;
	size_t target;   /* index in e, or SIZE_MAX for an existence search */
	size_t literal;  /* total literal bytes, to see whether widening grew it */
};

/* Where each 4-byte sequence of a text occurs: positions grouped by a
 * hash of the 4 bytes, ascending within a group. Literal pieces of 4 bytes
 * or more are looked up here instead of scanning the whole text. */
#define INDEX_MAX_BITS 20

struct gram_index {
	unsigned bits;  /* about log2 of the text's length, 4..INDEX_MAX_BITS */
	uint32_t *head; /* [2^bits + 1] */
	uint32_t *pos;  /* [n − 3] */
};

/* The copy as the extraction sees it (or a reference rendering). */
struct suspect {
	const char *S;
	size_t n;
	const uint8_t *gaps; /* where whitespace was removed; NULL for references */
	struct gram_index idx;
};

struct search {
	const unsigned char *norm; /* the template's normalised pool */
	const struct suspect *x;
	const char *S;
	size_t n;
	const struct pattern *P;
	long budget;
	bool exhausted;
	bool enumerate; /* collect (position, alternative) of the target */
	bool found;     /* existence mode */
	size_t nres;
	size_t res_pos[2];
	unsigned res_alt[2];
	size_t cur_pos;
	unsigned cur_alt;
};

/* --- normalisation -------------------------------------------------------- */

static size_t ws_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
		return 1;
	if (c == 0xC2 && n >= 2 && s[1] == 0xA0) /* U+00A0 no-break space */
		return 2;
	if (c == 0xE2 && n >= 3 && s[1] == 0x80 && s[2] == 0x8B) /* U+200B zero width space */
		return 3;
	if (c == 0xEF && n >= 3 && s[1] == 0xBB && s[2] == 0xBF) /* U+FEFF BOM */
		return 3;
	return 0;
}

enum fw_err mark_normalise(const char *s, size_t n, struct fw_buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	enum fw_err r;

	while (i < n) {
		size_t w = ws_len(u + i, n - i);
		if (w) {
			i += w;
			continue;
		}
		size_t j = i + 1;
		while (j < n && !ws_len(u + j, n - j))
			j++;
		if ((r = fw_buf_append(out, s + i, j - i)) != FW_OK)
			return r;
		i = j;
	}
	return FW_OK;
}

/* The suspect's normalisation, remembering where whitespace was removed:
 * bit o of gaps is set when whitespace followed output byte o. */
static enum fw_err normalise_suspect(const char *s, size_t n, struct fw_buf *out, uint8_t **gaps)
{
	const unsigned char *u = (const unsigned char *)s;
	uint8_t *g = calloc(n / 8 + 1, 1);
	size_t i = 0;
	enum fw_err r = FW_OK;

	if (!g)
		return FW_ERR_NOMEM;
	while (i < n) {
		size_t w = ws_len(u + i, n - i);
		if (w) {
			if (out->len)
				g[(out->len - 1) / 8] |= (uint8_t)(1u << ((out->len - 1) % 8));
			i += w;
			continue;
		}
		size_t j = i + 1;
		while (j < n && !ws_len(u + j, n - j))
			j++;
		if ((r = fw_buf_append(out, s + i, j - i)) != FW_OK)
			break;
		i = j;
	}
	if (r != FW_OK) {
		free(g);
		return r;
	}
	*gaps = g;
	return FW_OK;
}

static uint32_t gram(const char *p, unsigned bits)
{
	const unsigned char *u = (const unsigned char *)p;
	uint32_t v = u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
	return (v * 2654435761u) >> (32 - bits);
}

static void suspect_cleanup(struct suspect *x)
{
	free(x->idx.head);
	free(x->idx.pos);
	memset(&x->idx, 0, sizeof x->idx);
}

static enum fw_err suspect_init(struct suspect *x, const char *S, size_t n, const uint8_t *gaps)
{
	size_t ng = n >= 4 ? n - 3 : 0;
	unsigned bits = 4;
	while (bits < INDEX_MAX_BITS && ((size_t)1 << bits) < ng)
		bits++;
	size_t nb = (size_t)1 << bits;
	x->idx.bits = bits;
	x->S = S;
	x->n = n;
	x->gaps = gaps;
	x->idx.head = calloc(nb + 1, sizeof *x->idx.head);
	x->idx.pos = malloc((ng ? ng : 1) * sizeof *x->idx.pos);
	if (!x->idx.head || !x->idx.pos) {
		suspect_cleanup(x);
		return FW_ERR_NOMEM;
	}
	for (size_t i = 0; i < ng; i++) /* counting sort by bucket, stable */
		x->idx.head[gram(S + i, bits) + 1]++;
	for (size_t b = 0; b < nb; b++)
		x->idx.head[b + 1] += x->idx.head[b];
	uint32_t *fill = malloc(nb * sizeof *fill);
	if (!fill) {
		suspect_cleanup(x);
		return FW_ERR_NOMEM;
	}
	memcpy(fill, x->idx.head, nb * sizeof *fill);
	for (size_t i = 0; i < ng; i++)
		x->idx.pos[fill[gram(S + i, bits)]++] = (uint32_t)i;
	free(fill);
	return FW_OK;
}

/* --- patterns ------------------------------------------------------------- */

static struct elem literal(const struct fw_mark_template *t, struct mark_span sp, size_t from,
			   size_t len)
{
	struct elem e = {(const char *)t->norm.data + sp.off + from, len, NULL};
	return e;
}

static struct elem wildcard(const struct fw_mark_template *t, size_t use)
{
	struct elem e = {NULL, 0, &t->points[t->uses[use].point]};
	return e;
}

/* The elements left of use k, nearest first. */
static size_t left_side(const struct fw_mark_template *t, size_t k, size_t width, struct elem *out,
			size_t *lit)
{
	size_t n = 0, seg = k, wild = 0;
	for (;;) {
		struct mark_span sp = t->ntext[seg];
		size_t take = sp.len < width ? sp.len : width;
		if (take) {
			out[n++] = literal(t, sp, sp.len - take, take);
			width -= take;
			*lit += take;
		}
		if (width == 0 || seg == 0 || wild == MAX_WILD)
			break;
		out[n++] = wildcard(t, seg - 1);
		wild++;
		seg--;
	}
	return n;
}

static size_t right_side(const struct fw_mark_template *t, size_t k, size_t width,
			 struct elem *out, size_t *lit)
{
	size_t n = 0, seg = k + 1, wild = 0;
	for (;;) {
		struct mark_span sp = t->ntext[seg];
		size_t take = sp.len < width ? sp.len : width;
		if (take) {
			out[n++] = literal(t, sp, 0, take);
			width -= take;
			*lit += take;
		}
		if (width == 0 || seg == t->nuses || wild == MAX_WILD)
			break;
		out[n++] = wildcard(t, seg);
		wild++;
		seg++;
	}
	return n;
}

/* What a pattern covers: the target with both sides, with one side, or one
 * side without the target (to tell an altered point from a missing one). */
enum shape { BOTH, LEFT_T, RIGHT_T, LEFT_ONLY, RIGHT_ONLY };

static void build(const struct fw_mark_template *t, size_t k, unsigned level, enum shape sh,
		  struct pattern *P)
{
	struct elem left[2 * MAX_WILD + 1], right[2 * MAX_WILD + 1];
	size_t litl = 0, litr = 0, w = mark_level_width[level];
	bool use_left = sh == BOTH || sh == LEFT_T || sh == LEFT_ONLY;
	bool use_right = sh == BOTH || sh == RIGHT_T || sh == RIGHT_ONLY;
	size_t nl = use_left ? left_side(t, k, w, left, &litl) : 0;
	size_t nr = use_right ? right_side(t, k, w, right, &litr) : 0;

	P->n = 0;
	P->literal = litl + litr;
	P->target = SIZE_MAX;
	for (size_t i = nl; i-- > 0;)
		P->e[P->n++] = left[i];
	if (sh == BOTH || sh == LEFT_T || sh == RIGHT_T) {
		P->target = P->n;
		P->e[P->n++] = wildcard(t, k);
	}
	for (size_t i = 0; i < nr; i++)
		P->e[P->n++] = right[i];
}

/* --- matching ------------------------------------------------------------- */

static bool spend(struct search *s, long steps)
{
	s->budget -= steps;
	if (s->budget < 0) {
		s->exhausted = true;
		return false;
	}
	return true;
}

/* A complete match: records the target's choice; true = stop searching. */
static bool complete(struct search *s)
{
	if (!s->enumerate) {
		s->found = true;
		return true;
	}
	for (size_t i = 0; i < s->nres; i++)
		if (s->res_pos[i] == s->cur_pos && s->res_alt[i] == s->cur_alt)
			return false;
	s->res_pos[s->nres] = s->cur_pos;
	s->res_alt[s->nres] = s->cur_alt;
	s->nres++;
	return s->nres >= 2;
}

/* Elements i..end-1 from position pos on; true = stop. */
static bool fwd(struct search *s, size_t i, size_t end, size_t pos)
{
	if (!spend(s, 1))
		return true;
	if (i == end)
		return complete(s);
	const struct elem *e = &s->P->e[i];
	if (!e->point) {
		if (!spend(s, (long)e->len) || e->len > s->n - pos ||
		    memcmp(s->S + pos, e->s, e->len) != 0)
			return s->exhausted;
		return fwd(s, i + 1, end, pos + e->len);
	}
	for (unsigned a = 0; a < e->point->q; a++) {
		struct mark_span sp = e->point->nalt[a];
		if (sp.len > s->n - pos || !spend(s, (long)sp.len + 1))
			continue;
		if (memcmp(s->S + pos, s->norm + sp.off, sp.len) != 0)
			continue;
		if (i == s->P->target) {
			s->cur_pos = pos;
			s->cur_alt = a;
		}
		if (fwd(s, i + 1, end, pos + sp.len))
			return true;
	}
	return s->exhausted;
}

/* Elements i, i-1, …, 0 ending at position endpos (i is one past); true = stop. */
static bool bwd(struct search *s, size_t i, size_t endpos)
{
	if (!spend(s, 1))
		return true;
	if (i == 0)
		return complete(s);
	const struct elem *e = &s->P->e[i - 1];
	if (!e->point) {
		if (!spend(s, (long)e->len) || e->len > endpos ||
		    memcmp(s->S + endpos - e->len, e->s, e->len) != 0)
			return s->exhausted;
		return bwd(s, i - 1, endpos - e->len);
	}
	for (unsigned a = 0; a < e->point->q; a++) {
		struct mark_span sp = e->point->nalt[a];
		if (sp.len > endpos || !spend(s, (long)sp.len + 1))
			continue;
		if (memcmp(s->S + endpos - sp.len, s->norm + sp.off, sp.len) != 0)
			continue;
		if (i - 1 == s->P->target) {
			s->cur_pos = endpos - sp.len;
			s->cur_alt = a;
		}
		if (bwd(s, i - 1, endpos - sp.len))
			return true;
	}
	return s->exhausted;
}

/* Whether one side exists (existence mode, leaving the enumeration alone). */
static bool side_exists(struct search *s, bool left, size_t v, size_t at)
{
	bool en = s->enumerate, found = s->found;
	s->enumerate = false;
	s->found = false;
	if (left)
		(void)bwd(s, v, at);
	else
		(void)fwd(s, v + 1, s->P->n, at);
	bool ok = s->found;
	s->enumerate = en;
	s->found = found;
	return ok;
}

/* With the pivot (literal element v) at position h; true = stop. */
static bool at_pivot(struct search *s, size_t v, size_t h)
{
	const struct pattern *P = s->P;
	size_t after = h + P->e[v].len;
	if (P->target == SIZE_MAX || !s->enumerate) {
		if (!side_exists(s, true, v, h) || s->exhausted)
			return s->exhausted;
		return fwd(s, v + 1, P->n, after);
	}
	if (P->target > v) {
		if (!side_exists(s, true, v, h) || s->exhausted)
			return s->exhausted;
		return fwd(s, v + 1, P->n, after);
	}
	if (!side_exists(s, false, v, after) || s->exhausted)
		return s->exhausted;
	return bwd(s, v, h);
}

/* The first occurrence of lit in S at or after from, or SIZE_MAX (also when
 * the budget runs out). Literals of 4 bytes or more go through the index;
 * shorter ones are scanned for. Comparisons are charged to the budget, so
 * that repetitive text cannot make the search quadratic for free. */
static size_t find(struct search *s, size_t from, const char *lit, size_t len)
{
	if (len >= 4) {
		const struct gram_index *ix = &s->x->idx;
		uint32_t b = gram(lit, ix->bits);
		size_t lo = ix->head[b], hi = ix->head[b + 1];
		while (lo < hi) { /* the first position ≥ from */
			size_t mid = lo + (hi - lo) / 2;
			if (ix->pos[mid] < from)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t j = lo; j < ix->head[b + 1]; j++) {
			size_t hp = ix->pos[j], k = 0;
			if (hp + len > s->n)
				break;
			while (k < len && s->S[hp + k] == lit[k])
				k++;
			if (!spend(s, (long)(k / 8) + 1))
				return SIZE_MAX;
			if (k == len)
				return hp;
		}
		return SIZE_MAX;
	}
	while (from + len <= s->n) {
		const char *h = memchr(s->S + from, lit[0], s->n - len + 1 - from);
		if (!h)
			return SIZE_MAX;
		size_t hp = (size_t)(h - s->S), k = 1;
		while (k < len && h[k] == lit[k])
			k++;
		if (!spend(s, (long)((hp - from) / 64 + k / 8) + 1))
			return SIZE_MAX;
		if (k == len)
			return hp;
		from = hp + 1;
	}
	return SIZE_MAX;
}

static void run(struct search *s)
{
	const struct pattern *P = s->P;
	size_t v = SIZE_MAX, best = 0;
	for (size_t i = 0; i < P->n; i++)
		if (!P->e[i].point && P->e[i].len > best) {
			best = P->e[i].len;
			v = i;
		}
	if (v == SIZE_MAX) { /* only points: try every position */
		for (size_t pos = 0; pos <= s->n; pos++)
			if (fwd(s, 0, P->n, pos))
				return;
		return;
	}
	const struct elem *pv = &P->e[v];
	size_t from = 0;
	while (from + pv->len <= s->n) {
		size_t hp = find(s, from, pv->s, pv->len);
		if (hp == SIZE_MAX || at_pivot(s, v, hp))
			return;
		from = hp + 1;
	}
}

static void search_init(struct search *s, const struct fw_mark_template *t,
			const struct suspect *x, const struct pattern *P, bool enumerate, long budget)
{
	memset(s, 0, sizeof *s);
	s->norm = t->norm.data;
	s->x = x;
	s->S = x->S;
	s->n = x->n;
	s->P = P;
	s->enumerate = enumerate;
	s->budget = budget;
}

/* --- one use --------------------------------------------------------------- */

enum found { FOUND_NONE, FOUND_ONE, FOUND_SEVERAL };

struct hit {
	enum found f;
	size_t pos;
	unsigned alt;
	unsigned level; /* where FOUND_ONE was reached */
};

/* Searches the shape from `level` up, widening while several places or
 * alternatives fit. Running out of budget counts as several. */
static struct hit locate(const struct fw_mark_template *t, size_t k, enum shape sh,
			 unsigned level, const struct suspect *x, long *budget)
{
	struct hit h = {FOUND_SEVERAL, 0, 0, level};
	size_t prev_literal = SIZE_MAX;

	for (unsigned lv = level; lv < MARK_LEVELS; lv++) {
		struct pattern P;
		struct search s;
		build(t, k, lv, sh, &P);
		if (P.literal == prev_literal) /* widening adds nothing */
			break;
		prev_literal = P.literal;
		search_init(&s, t, x, &P, true, *budget < USE_BUDGET ? *budget : USE_BUDGET);
		long before = s.budget;
		run(&s);
		*budget -= before - s.budget;
		if (s.exhausted)
			break;
		if (s.nres == 0) {
			h.f = FOUND_NONE;
			break;
		}
		if (s.nres == 1) {
			h.f = FOUND_ONE;
			h.pos = s.res_pos[0];
			h.alt = s.res_alt[0];
			h.level = lv;
			break;
		}
	}
	return h;
}

static bool pattern_exists(const struct fw_mark_template *t, size_t k, unsigned level,
			   enum shape sh, const struct suspect *x, long *budget)
{
	struct pattern P;
	struct search s;
	build(t, k, level, sh, &P);
	if (P.n == 0)
		return true;
	search_init(&s, t, x, &P, false, *budget < USE_BUDGET ? *budget : USE_BUDGET);
	long before = s.budget;
	run(&s);
	*budget -= before - s.budget;
	return s.found && !s.exhausted;
}

static bool is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c >= 0x80;
}

/* Whether the copy has a token boundary between S[at-1] and S[at]. The two
 * ends of the copy do not count: a copy cut right after "0x10" may have
 * said "0x100". */
static bool boundary(const struct suspect *x, size_t at)
{
	if (at == 0 || at >= x->n)
		return false;
	if (x->gaps && (x->gaps[(at - 1) / 8] >> ((at - 1) % 8)) & 1)
		return true;
	return !(is_word((unsigned char)x->S[at - 1]) && is_word((unsigned char)x->S[at]));
}

/* A one-sided reading, kept only when the alternative is not empty and its
 * free end sits on a token boundary. */
static struct hit one_side(const struct fw_mark_template *t, size_t k, enum shape sh,
			   const struct suspect *x, long *budget)
{
	unsigned level = t->uses[k].level[sh == LEFT_T ? MARK_LEFT : MARK_RIGHT];
	struct hit h = {FOUND_NONE, 0, 0, 0};
	if (level == MARK_LEVEL_NONE)
		return h;
	h = locate(t, k, sh, level, x, budget);
	if (h.f != FOUND_ONE)
		return h;
	size_t len = t->points[t->uses[k].point].nalt[h.alt].len;
	if (len == 0 || !boundary(x, sh == LEFT_T ? h.pos + len : h.pos))
		h.f = FOUND_NONE;
	return h;
}

struct use_result {
	enum fw_mark_status status;
	unsigned alt;
};

static struct use_result read_use(const struct fw_mark_template *t, size_t k,
				  const struct suspect *x, long *budget)
{
	struct use_result res = {FW_MARK_UNREADABLE, 0};
	unsigned level = t->uses[k].level[MARK_BOTH];
	if (level == MARK_LEVEL_NONE)
		return res;
	struct hit h = locate(t, k, BOTH, level, x, budget);
	if (h.f != FOUND_NONE) {
		res.status = h.f == FOUND_ONE ? FW_MARK_READ : FW_MARK_AMBIGUOUS;
		res.alt = h.alt;
		return res;
	}
	struct hit l = one_side(t, k, LEFT_T, x, budget);
	struct hit r = one_side(t, k, RIGHT_T, x, budget);
	if (l.f == FOUND_SEVERAL || r.f == FOUND_SEVERAL ||
	    (l.f == FOUND_ONE && r.f == FOUND_ONE && (l.pos != r.pos || l.alt != r.alt))) {
		res.status = FW_MARK_AMBIGUOUS;
		return res;
	}
	if (l.f == FOUND_ONE || r.f == FOUND_ONE) {
		res.status = FW_MARK_READ;
		res.alt = l.f == FOUND_ONE ? l.alt : r.alt;
		return res;
	}
	bool lo = pattern_exists(t, k, level, LEFT_ONLY, x, budget);
	bool ro = pattern_exists(t, k, level, RIGHT_ONLY, x, budget);
	res.status = lo && ro ? FW_MARK_ALTERED : FW_MARK_MISSING;
	return res;
}

/* --- analysis (at parse time) ---------------------------------------------- */

/* The normalised copy with every point at its first or its last alternative. */
static enum fw_err reference(const struct fw_mark_template *t, bool last, struct fw_buf *out)
{
	uint8_t *sym = calloc(t->npoints ? t->npoints : 1, 1);
	struct fw_buf raw;
	enum fw_err r;

	if (!sym)
		return FW_ERR_NOMEM;
	for (size_t i = 0; i < t->npoints; i++)
		sym[i] = last ? (uint8_t)(t->points[i].q - 1) : 0;
	fw_buf_init(&raw, FW_MARK_MAX_RENDER_BYTES);
	if ((r = fw_mark_render(t, sym, t->npoints, &raw)) != FW_OK)
		goto out;
	r = mark_normalise(raw.data ? (const char *)raw.data : "", raw.len, out);
out:
	fw_buf_cleanup(&raw);
	free(sym);
	return r;
}

/* The narrowest level ≥ from at which the shape finds use k alone in both
 * references (in a clean copy the true place always fits, so one fit is the
 * true one); NONE if there is none. */
static unsigned unique_level(const struct fw_mark_template *t, size_t k, enum shape sh,
			     unsigned from, const struct suspect *ref, size_t nref, long *budget)
{
	unsigned lv = from;
	for (size_t r = 0; r < nref; r++) {
		struct hit h = locate(t, k, sh, lv, &ref[r], budget);
		if (h.f != FOUND_ONE || *budget <= 0)
			return MARK_LEVEL_NONE;
		lv = h.level;
	}
	return lv;
}

enum fw_err mark_analyse(struct fw_mark_template *t)
{
	struct fw_buf buf[2];
	struct suspect ref[2];
	long budget = ANALYSIS_BUDGET;
	enum fw_err r;

	memset(ref, 0, sizeof ref);
	fw_buf_init(&buf[0], FW_MARK_MAX_RENDER_BYTES);
	fw_buf_init(&buf[1], FW_MARK_MAX_RENDER_BYTES);
	for (int i = 0; i < 2; i++)
		if ((r = reference(t, i == 1, &buf[i])) != FW_OK ||
		    (r = suspect_init(&ref[i], buf[i].data ? (const char *)buf[i].data : "",
				      buf[i].len, NULL)) != FW_OK)
			goto out;
	for (size_t k = 0; k < t->nuses; k++) {
		struct mark_use *u = &t->uses[k];
		unsigned both = unique_level(t, k, BOTH, 0, ref, 2, &budget);
		u->level[MARK_BOTH] = (uint8_t)both;
		if (both == MARK_LEVEL_NONE)
			continue;
		t->points[u->point].readable = true;
		/* one side alone is at least as ambiguous as both sides */
		u->level[MARK_LEFT] = (uint8_t)unique_level(t, k, LEFT_T, both, ref, 2, &budget);
		u->level[MARK_RIGHT] = (uint8_t)unique_level(t, k, RIGHT_T, both, ref, 2, &budget);
	}
out:
	for (int i = 0; i < 2; i++) {
		suspect_cleanup(&ref[i]);
		fw_buf_cleanup(&buf[i]);
	}
	return r;
}

/* --- readings --------------------------------------------------------------- */

enum fw_err fw_mark_reading_init(struct fw_mark_reading *r, size_t m)
{
	memset(r, 0, sizeof *r);
	if (m > FW_MARK_MAX_POINTS)
		return FW_ERR_TOO_LARGE;
	r->symbol = calloc(m ? m : 1, 1);
	r->status = malloc(m ? m : 1);
	if (!r->symbol || !r->status) {
		fw_mark_reading_cleanup(r);
		return FW_ERR_NOMEM;
	}
	memset(r->status, FW_MARK_MISSING, m ? m : 1);
	r->m = m;
	return FW_OK;
}

void fw_mark_reading_cleanup(struct fw_mark_reading *r)
{
	if (!r)
		return;
	free(r->symbol);
	free(r->status);
	memset(r, 0, sizeof *r);
}

size_t fw_mark_reading_count(const struct fw_mark_reading *r, enum fw_mark_status st)
{
	size_t k = 0;
	for (size_t i = 0; i < r->m; i++)
		k += r->status[i] == (uint8_t)st;
	return k;
}

/* Erasure precedence when no use of a point was read. */
static int rank(enum fw_mark_status s)
{
	switch (s) {
	case FW_MARK_AMBIGUOUS: return 4;
	case FW_MARK_ALTERED: return 3;
	case FW_MARK_MISSING: return 2;
	case FW_MARK_UNREADABLE: return 1;
	default: return 0;
	}
}

/* Folds one use's result into point i. *conflict records that two uses
 * were read differently: the point then stays ambiguous. */
static void combine(struct fw_mark_reading *rd, size_t i, const struct use_result *u, bool first,
		    bool *conflict)
{
	uint8_t *st = &rd->status[i];
	if (first) {
		*st = (uint8_t)u->status;
		rd->symbol[i] = u->status == FW_MARK_READ ? (uint8_t)u->alt : 0;
		return;
	}
	if (*conflict)
		return;
	if (u->status == FW_MARK_READ) {
		if (*st == FW_MARK_READ && rd->symbol[i] != u->alt) {
			*st = FW_MARK_AMBIGUOUS; /* a mixed copy, or a misplaced match */
			*conflict = true;
		} else if (*st != FW_MARK_READ) {
			*st = FW_MARK_READ;
			rd->symbol[i] = (uint8_t)u->alt;
		}
		return;
	}
	if (*st != FW_MARK_READ && rank(u->status) > rank((enum fw_mark_status)*st))
		*st = (uint8_t)u->status;
}

enum fw_err fw_mark_extract(const struct fw_mark_template *t, const char *text, size_t n,
			    struct fw_mark_reading *out)
{
	struct fw_mark_reading rd;
	struct fw_buf S;
	uint8_t *gaps = NULL;
	bool *seen = NULL, *conflict = NULL;
	struct suspect x;
	long budget = EXTRACT_BUDGET;
	enum fw_err r;

	if (!t || !out || (!text && n))
		return FW_ERR_INVALID;
	if (n > FW_MARK_MAX_SUSPECT_BYTES)
		return fw_err_set(FW_ERR_TOO_LARGE, "a suspect copy is at most %u bytes",
				  FW_MARK_MAX_SUSPECT_BYTES);
	if ((r = fw_mark_reading_init(&rd, t->npoints)) != FW_OK)
		return r;
	memset(&x, 0, sizeof x);
	fw_buf_init(&S, FW_MARK_MAX_SUSPECT_BYTES);
	seen = calloc(t->npoints ? t->npoints : 1, sizeof *seen);
	conflict = calloc(t->npoints ? t->npoints : 1, sizeof *conflict);
	if (!seen || !conflict) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	if ((r = normalise_suspect(text ? text : "", n, &S, &gaps)) != FW_OK ||
	    (r = suspect_init(&x, S.data ? (const char *)S.data : "", S.len, gaps)) != FW_OK)
		goto out;
	for (size_t k = 0; k < t->nuses; k++) {
		struct use_result u = read_use(t, k, &x, &budget);
		size_t i = t->uses[k].point;
		combine(&rd, i, &u, !seen[i], &conflict[i]);
		seen[i] = true;
	}
	*out = rd;
	rd.symbol = rd.status = NULL;
out:
	fw_mark_reading_cleanup(&rd);
	suspect_cleanup(&x);
	fw_buf_cleanup(&S);
	free(gaps);
	free(seen);
	free(conflict);
	return r;
}

enum fw_err fw_mark_reading_merge(struct fw_mark_reading *into, const struct fw_mark_reading *other)
{
	if (!into || !other || into->m != other->m)
		return FW_ERR_INVALID;
	for (size_t i = 0; i < into->m; i++) {
		struct use_result u = {(enum fw_mark_status)other->status[i], other->symbol[i]};
		bool conflict = false;
		combine(into, i, &u, false, &conflict);
	}
	return FW_OK;
}
