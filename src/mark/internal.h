/* Internal to src/mark/: the shapes behind the opaque types and the helpers
 * the module's files share. Nothing outside the module includes this. */
#ifndef FW_MARK_INTERNAL_H
#define FW_MARK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "mark/mark.h"

/* --- templates ---------------------------------------------------------- */

struct mark_span {
	uint32_t off, len;
};

struct mark_point {
	char name[FW_MARK_NAME_BYTES];
	unsigned q;
	int line, col;
	size_t uses;
	bool readable;
	struct mark_span alt[FW_MARK_MAX_ALTERNATIVES];  /* as rendered, in raw */
	struct mark_span nalt[FW_MARK_MAX_ALTERNATIVES]; /* whitespace removed, in norm */
};

/* The ladder of context widths (bytes of template text, whitespace removed,
 * on each side of a use) that extraction tries, narrowest first. */
#define MARK_LEVELS 7
#define MARK_LEVEL_NONE 0xff
extern const uint32_t mark_level_width[MARK_LEVELS];

/* How a use is located: by the text on both sides, or on one side only
 * (when an edit next to the point broke the other side). */
enum mark_side { MARK_BOTH = 0, MARK_LEFT = 1, MARK_RIGHT = 2 };

struct mark_use {
	uint32_t point;
	int line, col;
	/* Per side, the narrowest level at which the pattern matches only at the
	 * use's own place in reference renderings of the template;
	 * MARK_LEVEL_NONE when none does (that way of locating it is never
	 * trusted). */
	uint8_t level[3];
};

struct fw_mark_template {
	struct fw_buf raw;  /* fixed texts and alternatives, unescaped */
	struct fw_buf norm; /* the same with whitespace removed */
	struct mark_point *points;
	size_t npoints;
	struct mark_use *uses;
	size_t nuses;
	struct mark_span *text;  /* [nuses + 1]: fixed text before use k, in raw */
	struct mark_span *ntext; /* the same, in norm */
	size_t render_max;       /* the longest copy any symbols give */
};

/* Whitespace removal used on both sides of extraction: ASCII whitespace,
 * U+00A0, U+200B and U+FEFF (UTF-8) are dropped. Appends to out. */
enum fw_err mark_normalise(const char *s, size_t n, struct fw_buf *out) FW_WUR;

/* Computes each use's starting level (extract.c); called by the parser. */
enum fw_err mark_analyse(struct fw_mark_template *t) FW_WUR;

/* --- codes -------------------------------------------------------------- */

struct fw_mark_code {
	uint8_t key[FW_MARK_KEY_BYTES];
	char version[FW_MARK_MAX_ID_BYTES];
	struct fw_mark_params prm;
	size_t m;
	uint8_t *q;
	/* cut[i * FW_MARK_MAX_ALTERNATIVES + a] = 2¹⁶·P[symbol ≤ a] at point i:
	 * the biases are multiples of 2⁻¹⁶, every symbol has at least one unit,
	 * the last cut is exactly MARK_ONE. A member's symbol at i is the first a
	 * with d < cut, d the member's 16-bit draw at i. */
	uint32_t *cut;
};

#define MARK_DRAW_BITS 16
#define MARK_ONE (1u << MARK_DRAW_BITS)
#define MARK_DRAW_BYTES 2 /* PRF bytes per point and member */

/* A deterministic stream of uniforms from the keyed PRF (code.c):
 * block b of the stream is fw_crypto_prf(key, ctx, in ‖ u64le(b), 512 bytes). */
#define MARK_RNG_IN_BYTES (2 * FW_MARK_MAX_ID_BYTES + 64)
#define MARK_RNG_BLOCK_BYTES 512

struct mark_rng {
	uint8_t key[FW_MARK_KEY_BYTES];
	const char *ctx;
	uint8_t in[MARK_RNG_IN_BYTES + 8];
	size_t inlen;
	uint64_t block;
	uint8_t buf[MARK_RNG_BLOCK_BYTES];
	size_t pos;
	bool failed; /* the PRF refused (never expected); the stream is zeros */
};

void mark_rng_init(struct mark_rng *r, const uint8_t key[FW_MARK_KEY_BYTES], const char *ctx,
		   const void *in, size_t inlen);
void mark_rng_wipe(struct mark_rng *r);
uint64_t mark_rng_u64(struct mark_rng *r);
/* Uniform on (0, 1): (k + 1/2)·2⁻⁵³ for 53 bits k of the stream. */
double mark_rng_uniform(struct mark_rng *r);
/* Uniform integer in [0, n), n ≥ 1 (rejection; no modulo bias). */
uint32_t mark_rng_below(struct mark_rng *r, uint32_t n);

/* The 2·m bytes behind a member's first m draws (code.c has the
 * derivation); draw i is the little-endian u16 at bytes 2i, 2i+1. */
enum fw_err mark_member_draws(const struct fw_mark_code *c, const char *member_id,
			      uint8_t *bytes, size_t m) FW_WUR;
static inline uint32_t mark_draw_at(const uint8_t *bytes, size_t i)
{
	return (uint32_t)bytes[2 * i] | (uint32_t)bytes[2 * i + 1] << 8;
}

/* The bias of the symbol at (i, a). */
double mark_code_p(const struct fw_mark_code *c, size_t i, unsigned a);

/* --- accusation internals shared with the capacity simulation ------------ */

/* One point read: the innocent member's score is hi with probability p,
 * lo otherwise (hi = √((1−p)/p), lo = −√(p/(1−p))). */
struct mark_term {
	double p, hi, lo, logp, log1mp;
};

void mark_term_init(struct mark_term *t, double p);
/* Z = (K(λ)+L)/λ at a λ that minimises it (safeguarded Newton on
 * λK'(λ) − K(λ) − L = 0). *lambda_out may be NULL. */
double mark_threshold(const struct mark_term *terms, size_t n, double L, double *lambda_out);
/* K(λ) = Σ ln E[exp(λU)], K'(λ), K''(λ); any of the outputs may be NULL. */
void mark_cumulant(const struct mark_term *terms, size_t n, double lambda, double *k, double *k1,
		   double *k2);

#endif
