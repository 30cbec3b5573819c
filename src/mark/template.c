/* The template language of variation points (docs/templates.md has the
 * grammar): parsing, accessors, rendering.
 *
 * One pass over the bytes. Fixed text and alternatives are unescaped into
 * one pool (t->raw) and addressed by spans; a whitespace-free copy of each
 * (t->norm) is what extraction matches against. Names are looked up in a
 * small open-addressing table; a {{=name}} may come before the definition,
 * so unresolved repeats wait in a list until the end. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mark/internal.h"

#define NAME_SLOTS 8192 /* power of two, ≥ 2 × FW_MARK_MAX_POINTS */

struct pending {
	uint32_t use;
	size_t off;
	char name[FW_MARK_NAME_BYTES];
};

struct parser {
	const char *s;
	size_t n, i;
	struct fw_mark_template *t;
	struct fw_mark_error *err;
	size_t cap_points, cap_uses, cap_text;
	uint32_t *slots; /* point index + 1, 0 = empty */
	struct pending *pend;
	size_t npend, cap_pend;
	/* a cursor for offset → line:col, moved forward as the parse goes */
	size_t lc_off, lc_linestart;
	int lc_line;
};

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static void line_col(struct parser *p, size_t off, int *line, int *col)
{
	if (off < p->lc_off) { /* only on errors behind the cursor */
		p->lc_off = p->lc_linestart = 0;
		p->lc_line = 1;
	}
	while (p->lc_off < off) {
		const char *nl = memchr(p->s + p->lc_off, '\n', off - p->lc_off);
		if (!nl) {
			p->lc_off = off;
			break;
		}
		p->lc_off = (size_t)(nl - p->s) + 1;
		p->lc_linestart = p->lc_off;
		if (p->lc_line < INT32_MAX)
			p->lc_line++;
	}
	*line = p->lc_line;
	size_t c = off - p->lc_linestart + 1;
	*col = c > INT32_MAX ? INT32_MAX : (int)c;
}

static enum fw_err fail(struct parser *p, enum fw_err e, size_t off, const char *fmt, ...)
	FW_PRINTF(4, 5);

static enum fw_err fail(struct parser *p, enum fw_err e, size_t off, const char *fmt, ...)
{
	struct fw_mark_error local;
	struct fw_mark_error *d = p->err ? p->err : &local;
	va_list ap;

	line_col(p, off, &d->line, &d->col);
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof d->message, fmt, ap);
	va_end(ap);
	return fw_err_set(e, "line %d:%d: %s", d->line, d->col, d->message);
}

/* --- pools --------------------------------------------------------------- */

static struct mark_span span_from(size_t start, size_t end)
{
	struct mark_span sp = {(uint32_t)start, (uint32_t)(end - start)};
	return sp;
}

static enum fw_err normalise_span(struct fw_mark_template *t, struct mark_span raw,
				  struct mark_span *out)
{
	size_t start = t->norm.len;
	const char *text = t->raw.data ? (const char *)t->raw.data + raw.off : "";
	enum fw_err r = mark_normalise(text, raw.len, &t->norm);
	if (r != FW_OK)
		return r;
	*out = span_from(start, t->norm.len);
	return FW_OK;
}

static enum fw_err grow(void **arr, size_t *cap, size_t need, size_t elem, size_t max)
{
	if (need <= *cap)
		return FW_OK;
	size_t nc = *cap ? *cap * 2 : 16;
	if (nc < need)
		nc = need;
	if (nc > max)
		nc = max;
	if (nc < need)
		return FW_ERR_TOO_LARGE;
	void *q = realloc(*arr, nc * elem);
	if (!q)
		return FW_ERR_NOMEM;
	*arr = q;
	*cap = nc;
	return FW_OK;
}

/* --- names --------------------------------------------------------------- */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot holding name, or the empty slot where it would go. */
static uint32_t *name_slot(struct parser *p, const char *name)
{
	uint32_t i = name_hash(name) & (NAME_SLOTS - 1);
	for (;;) {
		uint32_t v = p->slots[i];
		if (v == 0 || strcmp(p->t->points[v - 1].name, name) == 0)
			return &p->slots[i];
		i = (i + 1) & (NAME_SLOTS - 1);
	}
}

/* Reads an identifier at p->i into name; false when there is none. */
static enum fw_err read_name(struct parser *p, char name[FW_MARK_NAME_BYTES], size_t *len)
{
	size_t j = p->i;
	while (j < p->n && is_ident_char((unsigned char)p->s[j]))
		j++;
	size_t l = j - p->i;
	if (l >= FW_MARK_NAME_BYTES)
		return fail(p, FW_ERR_INVALID, p->i, "a point name is at most %d bytes",
			    FW_MARK_NAME_BYTES - 1);
	memcpy(name, p->s + p->i, l);
	name[l] = '\0';
	*len = l;
	return FW_OK;
}

/* --- escapes ------------------------------------------------------------- */

/* The length of the marker at j: "{{" and "}}" everywhere, "|" and ":" inside
 * a point; 0 when there is none. */
static size_t marker_at(const struct parser *p, size_t j, bool inside)
{
	if (j >= p->n)
		return 0;
	char c = p->s[j];
	if ((c == '{' || c == '}') && j + 1 < p->n && p->s[j + 1] == c)
		return 2;
	if (inside && (c == '|' || c == ':'))
		return 1;
	return 0;
}

/* At a backslash: a run of k backslashes before a marker stands for k/2
 * backslashes, and for the marker as text when k is odd; before anything
 * else the run is text as written. Leaves p->i at the marker when it is
 * still to act. */
static enum fw_err backslashes(struct parser *p, bool inside)
{
	size_t k = 0;
	while (p->i + k < p->n && p->s[p->i + k] == '\\')
		k++;
	size_t j = p->i + k, mk = marker_at(p, j, inside);
	enum fw_err r;

	if (!mk) {
		r = fw_buf_append(&p->t->raw, p->s + p->i, k);
		p->i = j;
		return r;
	}
	for (size_t b = 0; b < k / 2; b++)
		if ((r = fw_buf_append(&p->t->raw, "\\", 1)) != FW_OK)
			return r;
	if (k % 2) {
		if ((r = fw_buf_append(&p->t->raw, p->s + j, mk)) != FW_OK)
			return r;
		p->i = j + mk;
	} else {
		p->i = j;
	}
	return FW_OK;
}

/* --- points --------------------------------------------------------------- */

static enum fw_err add_use(struct parser *p, uint32_t point, size_t off)
{
	struct fw_mark_template *t = p->t;
	enum fw_err r;

	if (t->nuses >= FW_MARK_MAX_USES)
		return fail(p, FW_ERR_INVALID, off, "more than %d points and repeats",
			    FW_MARK_MAX_USES);
	if ((r = grow((void **)&t->uses, &p->cap_uses, t->nuses + 1, sizeof *t->uses,
		      FW_MARK_MAX_USES)) != FW_OK)
		return r;
	if ((r = grow((void **)&t->text, &p->cap_text, t->nuses + 2, sizeof *t->text,
		      FW_MARK_MAX_USES + 1)) != FW_OK)
		return r;
	struct mark_use *u = &t->uses[t->nuses++];
	u->point = point;
	line_col(p, off, &u->line, &u->col);
	memset(u->level, MARK_LEVEL_NONE, sizeof u->level);
	return FW_OK;
}

static enum fw_err parse_reference(struct parser *p, size_t start)
{
	char name[FW_MARK_NAME_BYTES];
	size_t len;
	enum fw_err r;

	p->i++; /* '=' */
	while (p->i < p->n && is_ws((unsigned char)p->s[p->i]))
		p->i++;
	size_t name_off = p->i;
	if ((r = read_name(p, name, &len)) != FW_OK)
		return r;
	if (len == 0 || !is_ident_start((unsigned char)name[0]))
		return fail(p, FW_ERR_INVALID, name_off, "expected a point name after {{=");
	p->i += len;
	while (p->i < p->n && is_ws((unsigned char)p->s[p->i]))
		p->i++;
	if (marker_at(p, p->i, true) != 2 || p->s[p->i] != '}')
		return fail(p, FW_ERR_INVALID, p->i, "expected }} to end the repeat of \"%s\"", name);
	p->i += 2;

	uint32_t *slot = name_slot(p, name);
	if (*slot) {
		p->t->points[*slot - 1].uses++;
		return add_use(p, *slot - 1, start);
	}
	if ((r = add_use(p, UINT32_MAX, start)) != FW_OK)
		return r;
	if ((r = grow((void **)&p->pend, &p->cap_pend, p->npend + 1, sizeof *p->pend,
		      FW_MARK_MAX_USES)) != FW_OK)
		return r;
	struct pending *pd = &p->pend[p->npend++];
	pd->use = (uint32_t)(p->t->nuses - 1);
	pd->off = name_off;
	memcpy(pd->name, name, sizeof pd->name);
	return FW_OK;
}

/* One alternative, up to an unescaped | or }}; *end is 1 or 2 (the marker). */
static enum fw_err parse_alternative(struct parser *p, size_t start, struct mark_span *out,
				     size_t *end)
{
	struct fw_buf *raw = &p->t->raw;
	size_t from = raw->len;
	enum fw_err r;

	while (p->i < p->n) {
		char c = p->s[p->i];
		if (c == '\\') {
			if ((r = backslashes(p, true)) != FW_OK)
				return r;
			continue;
		}
		size_t mk = marker_at(p, p->i, true);
		if (mk == 2 && c == '{')
			return fail(p, FW_ERR_INVALID, p->i,
				    "points do not nest; write \\{{ for a literal {{");
		if ((mk == 2 && c == '}') || c == '|') {
			*end = mk;
			break;
		}
		size_t j = p->i + 1;
		while (j < p->n && p->s[j] != '\\' && p->s[j] != '{' && p->s[j] != '}' &&
		       p->s[j] != '|')
			j++;
		if ((r = fw_buf_append(raw, p->s + p->i, j - p->i)) != FW_OK)
			return r;
		p->i = j;
	}
	if (p->i >= p->n)
		return fail(p, FW_ERR_INVALID, start, "unterminated point: no }} before the end");
	size_t a = from, b = raw->len;
	while (a < b && is_ws(raw->data[a]))
		a++;
	while (b > a && is_ws(raw->data[b - 1]))
		b--;
	if (b - a > FW_MARK_MAX_ALT_BYTES)
		return fail(p, FW_ERR_INVALID, start, "an alternative is longer than %d bytes",
			    FW_MARK_MAX_ALT_BYTES);
	*out = span_from(a, b);
	return FW_OK;
}

static enum fw_err new_point(struct parser *p, const char *name, size_t start,
			     struct mark_point **out)
{
	struct fw_mark_template *t = p->t;
	enum fw_err r;

	if (t->npoints >= FW_MARK_MAX_POINTS)
		return fail(p, FW_ERR_INVALID, start, "more than %d points", FW_MARK_MAX_POINTS);
	if ((r = grow((void **)&t->points, &p->cap_points, t->npoints + 1, sizeof *t->points,
		      FW_MARK_MAX_POINTS)) != FW_OK)
		return r;
	struct mark_point *pt = &t->points[t->npoints];
	memset(pt, 0, sizeof *pt);
	snprintf(pt->name, sizeof pt->name, "%s", name);
	line_col(p, start, &pt->line, &pt->col);
	pt->uses = 1;
	*out = pt;
	return FW_OK;
}

/* After the alternatives: all different once whitespace is ignored. */
static enum fw_err check_alternatives(struct parser *p, struct mark_point *pt, size_t start)
{
	const unsigned char *nb = p->t->norm.data;
	for (unsigned a = 0; a < pt->q; a++)
		for (unsigned b = a + 1; b < pt->q; b++)
			if (pt->nalt[a].len == pt->nalt[b].len &&
			    (pt->nalt[a].len == 0 ||
			     memcmp(nb + pt->nalt[a].off, nb + pt->nalt[b].off, pt->nalt[a].len) == 0))
				return fail(p, FW_ERR_INVALID, start,
					    "alternatives %u and %u are the same once whitespace is "
					    "ignored, so no copy could tell them apart",
					    a + 1, b + 1);
	return FW_OK;
}

static enum fw_err parse_point(struct parser *p)
{
	size_t start = p->i;
	char name[FW_MARK_NAME_BYTES] = "";
	struct mark_point *pt = NULL;
	enum fw_err r;

	p->i += 2;
	while (p->i < p->n && is_ws((unsigned char)p->s[p->i]))
		p->i++;
	if (p->i < p->n && p->s[p->i] == '=')
		return parse_reference(p, start);

	/* "name:" (no space before the colon, not "::") names the point. */
	size_t len = 0, j = p->i;
	while (j < p->n && is_ident_char((unsigned char)p->s[j]))
		j++;
	if (j > p->i && is_ident_start((unsigned char)p->s[p->i]) && j < p->n && p->s[j] == ':' &&
	    !(j + 1 < p->n && p->s[j + 1] == ':')) {
		if ((r = read_name(p, name, &len)) != FW_OK)
			return r;
		p->i = j + 1;
	}
	if ((r = new_point(p, name, start, &pt)) != FW_OK)
		return r;
	for (;;) {
		struct mark_span sp;
		size_t end = 0, at = p->i;
		if ((r = parse_alternative(p, start, &sp, &end)) != FW_OK)
			return r;
		if (pt->q >= FW_MARK_MAX_ALTERNATIVES)
			return fail(p, FW_ERR_INVALID, at, "more than %d alternatives in one point",
				    FW_MARK_MAX_ALTERNATIVES);
		pt->alt[pt->q] = sp;
		if ((r = normalise_span(p->t, sp, &pt->nalt[pt->q])) != FW_OK)
			return r;
		pt->q++;
		p->i += end;
		if (end == 2)
			break;
	}
	if (pt->q < 2)
		return fail(p, FW_ERR_INVALID, start,
			    "a point needs at least two alternatives separated by |");
	if ((r = check_alternatives(p, pt, start)) != FW_OK)
		return r;
	if (name[0]) {
		uint32_t *slot = name_slot(p, name);
		if (*slot) {
			const struct mark_point *first = &p->t->points[*slot - 1];
			return fail(p, FW_ERR_INVALID, start,
				    "point \"%s\" is already defined at line %d:%d; repeat it "
				    "with {{=%s}}",
				    name, first->line, first->col, name);
		}
		*slot = (uint32_t)p->t->npoints + 1;
	}
	p->t->npoints++;
	return add_use(p, (uint32_t)p->t->npoints - 1, start);
}

/* --- the whole text ------------------------------------------------------- */

static enum fw_err end_text(struct parser *p, size_t seg_start)
{
	struct fw_mark_template *t = p->t;
	t->text[t->nuses] = span_from(seg_start, t->raw.len);
	return FW_OK;
}

static enum fw_err scan(struct parser *p)
{
	struct fw_mark_template *t = p->t;
	size_t seg_start = 0;
	enum fw_err r;

	if ((r = grow((void **)&t->text, &p->cap_text, 1, sizeof *t->text,
		      FW_MARK_MAX_USES + 1)) != FW_OK)
		return r;
	while (p->i < p->n) {
		char c = p->s[p->i];
		if (c == '\\') {
			if ((r = backslashes(p, false)) != FW_OK)
				return r;
			continue;
		}
		if (c == '{' && marker_at(p, p->i, false) == 2) {
			if ((r = end_text(p, seg_start)) != FW_OK || (r = parse_point(p)) != FW_OK)
				return r;
			seg_start = t->raw.len;
			continue;
		}
		size_t j = p->i + 1;
		while (j < p->n && p->s[j] != '\\' && !(p->s[j] == '{' && j + 1 < p->n &&
							 p->s[j + 1] == '{'))
			j++;
		if ((r = fw_buf_append(&t->raw, p->s + p->i, j - p->i)) != FW_OK)
			return r;
		p->i = j;
	}
	return end_text(p, seg_start);
}

static enum fw_err resolve(struct parser *p)
{
	for (size_t k = 0; k < p->npend; k++) {
		uint32_t *slot = name_slot(p, p->pend[k].name);
		if (!*slot)
			return fail(p, FW_ERR_INVALID, p->pend[k].off, "no point is named \"%s\"",
				    p->pend[k].name);
		p->t->uses[p->pend[k].use].point = *slot - 1;
		p->t->points[*slot - 1].uses++;
	}
	return FW_OK;
}

static enum fw_err finish(struct parser *p)
{
	struct fw_mark_template *t = p->t;
	enum fw_err r;

	t->ntext = calloc(t->nuses + 1, sizeof *t->ntext);
	if (!t->ntext)
		return FW_ERR_NOMEM;
	size_t total = 0;
	for (size_t k = 0; k <= t->nuses; k++) {
		if ((r = normalise_span(t, t->text[k], &t->ntext[k])) != FW_OK)
			return r;
		total += t->text[k].len;
		if (k < t->nuses) {
			const struct mark_point *pt = &t->points[t->uses[k].point];
			size_t longest = 0;
			for (unsigned a = 0; a < pt->q; a++)
				if (pt->alt[a].len > longest)
					longest = pt->alt[a].len;
			total += longest;
		}
	}
	if (total > FW_MARK_MAX_RENDER_BYTES)
		return fail(p, FW_ERR_TOO_LARGE, 0, "a copy could be %zu bytes, more than %u", total,
			    FW_MARK_MAX_RENDER_BYTES);
	t->render_max = total;
	return mark_analyse(t);
}

enum fw_err fw_mark_parse(const char *text, size_t n, struct fw_mark_template **out,
			  struct fw_mark_error *err)
{
	struct parser p;
	enum fw_err r;

	memset(&p, 0, sizeof p);
	p.s = text;
	p.n = n;
	p.err = err;
	p.lc_line = 1;
	if (err)
		memset(err, 0, sizeof *err);
	if (!out || (!text && n))
		return FW_ERR_INVALID;
	if (n > FW_MARK_MAX_TEMPLATE_BYTES)
		return fail(&p, FW_ERR_TOO_LARGE, 0, "a template is at most %u bytes",
			    FW_MARK_MAX_TEMPLATE_BYTES);
	p.t = calloc(1, sizeof *p.t);
	p.slots = calloc(NAME_SLOTS, sizeof *p.slots);
	if (!p.t || !p.slots) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	/* Unescaping only shrinks the text; alternatives are copied once. */
	fw_buf_init(&p.t->raw, FW_MARK_MAX_TEMPLATE_BYTES);
	fw_buf_init(&p.t->norm, FW_MARK_MAX_TEMPLATE_BYTES);
	if ((r = scan(&p)) != FW_OK || (r = resolve(&p)) != FW_OK || (r = finish(&p)) != FW_OK)
		goto out;
	*out = p.t;
	p.t = NULL;
out:
	if (r == FW_ERR_NOMEM && err)
		snprintf(err->message, sizeof err->message, "out of memory");
	fw_mark_template_free(p.t);
	free(p.slots);
	free(p.pend);
	return r;
}

void fw_mark_template_free(struct fw_mark_template *t)
{
	if (!t)
		return;
	fw_buf_cleanup(&t->raw);
	fw_buf_cleanup(&t->norm);
	free(t->points);
	free(t->uses);
	free(t->text);
	free(t->ntext);
	free(t);
}

/* --- accessors ------------------------------------------------------------ */

size_t fw_mark_template_npoints(const struct fw_mark_template *t)
{
	return t->npoints;
}

void fw_mark_template_point(const struct fw_mark_template *t, size_t i,
			    struct fw_mark_point_info *out)
{
	const struct mark_point *pt = &t->points[i];
	out->name = pt->name;
	out->q = pt->q;
	out->line = pt->line;
	out->col = pt->col;
	out->uses = pt->uses;
	out->readable = pt->readable;
}

static const char *raw_at(const struct fw_mark_template *t, struct mark_span sp, size_t *len)
{
	*len = sp.len;
	return t->raw.data ? (const char *)t->raw.data + sp.off : "";
}

const char *fw_mark_template_alternative(const struct fw_mark_template *t, size_t i, unsigned a,
					 size_t *len)
{
	return raw_at(t, t->points[i].alt[a], len);
}

size_t fw_mark_template_nuses(const struct fw_mark_template *t)
{
	return t->nuses;
}

size_t fw_mark_template_use_point(const struct fw_mark_template *t, size_t k)
{
	return t->uses[k].point;
}

const char *fw_mark_template_text(const struct fw_mark_template *t, size_t k, size_t *len)
{
	return raw_at(t, t->text[k], len);
}

void fw_mark_template_alphabet(const struct fw_mark_template *t, unsigned *q, size_t m)
{
	for (size_t i = 0; i < m && i < t->npoints; i++)
		q[i] = t->points[i].q;
}

size_t fw_mark_template_unreadable(const struct fw_mark_template *t)
{
	size_t k = 0;
	for (size_t i = 0; i < t->npoints; i++)
		k += !t->points[i].readable;
	return k;
}

/* --- rendering ------------------------------------------------------------ */

enum fw_err fw_mark_render(const struct fw_mark_template *t, const uint8_t *sym, size_t m,
			   struct fw_buf *out)
{
	size_t start = out->len;
	enum fw_err r = FW_OK;

	if (m != t->npoints || (!sym && m))
		return fw_err_set(FW_ERR_INVALID, "%zu symbols for a template with %zu points", m,
				  t->npoints);
	for (size_t i = 0; i < m; i++)
		if (sym[i] >= t->points[i].q)
			return fw_err_set(FW_ERR_INVALID, "symbol %u at point %zu (q = %u)", sym[i], i,
					  t->points[i].q);
	for (size_t k = 0; k <= t->nuses; k++) {
		size_t len;
		const char *s = raw_at(t, t->text[k], &len);
		if ((r = fw_buf_append(out, s, len)) != FW_OK)
			goto out;
		if (k == t->nuses)
			break;
		uint32_t pi = t->uses[k].point;
		s = raw_at(t, t->points[pi].alt[sym[pi]], &len);
		if ((r = fw_buf_append(out, s, len)) != FW_OK)
			goto out;
	}
out:
	if (r != FW_OK) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return r;
}
