/* Internal to src/mark/: the shapes behind the opaque types and the helpers
 * the module's files share. Nothing outside the module includes this. */
#ifndef FW_MARK_INTERNAL_H
#define FW_MARK_INTERNAL_H

#include <endian.h>
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
	/* cum[i * FW_MARK_MAX_ALTERNATIVES + a] = P[symbol ≤ a] at point i; the
	 * last is exactly 1. A member's symbol is the first a with u < cum. */
	double *cum;
};

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
static inline double mark_uniform_from(const uint8_t b[8])
{
	uint64_t v;
	memcpy(&v, b, sizeof v);
	return ((double)(le64toh(v) >> 11) + 0.5) * 0x1p-53;
}
/* Uniform integer in [0, n), n ≥ 1 (rejection; no modulo bias). */
uint32_t mark_rng_below(struct mark_rng *r, uint32_t n);

/* The 8·m bytes behind a member's m uniforms (code.c has the derivation). */
enum fw_err mark_member_uniforms(const struct fw_mark_code *c, const char *member_id,
				 uint8_t *bytes, size_t m) FW_WUR;

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
