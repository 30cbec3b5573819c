/* The entitlement policy: which member gets which kind of artifact of an
 * advisory, and how long before the public release time T.
 *
 * First form of the language (docs/policy.md has the grammar):
 *
 *   # comments run to the end of the line
 *   tier validate { grant all at T-14d }
 *   tier ans      { grant summary, detection, poc at T-5d }
 *   tier entry    { grant summary at T-1d }
 *   public        { grant summary, description, mitigation at T }
 *
 * A `public` block grants to every member, whatever its tier. A member's
 * decision for a kind is the earliest grant of its tier's block and the
 * public block; with none, the kind is withheld (default deny). A member
 * whose status is suspended or expelled gets nothing.
 * The next issue adds restrictions, so the parser is built to grow:
 * statements start with a keyword; unknown keywords are errors. */
#ifndef FW_POLICY_POLICY_H
#define FW_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "model/model.h"

#define FW_POLICY_MAX_BYTES (256u * 1024u)
#define FW_POLICY_MAX_TIERS 64
#define FW_POLICY_MAX_GRANTS 256 /* per block */
#define FW_POLICY_MAX_DIAGS 32

struct fw_policy;

struct fw_policy_diag {
	int line; /* 1-based */
	int col;  /* 1-based, in bytes */
	bool warning;
	char message[200];
};

struct fw_policy_diags {
	size_t n;
	struct fw_policy_diag d[FW_POLICY_MAX_DIAGS];
};

/* Parses text (not NUL-terminated necessarily). On FW_ERR_INVALID, diags
 * holds every error found (up to the limit), with line and column; warnings
 * may be present on success too. diags may be NULL. Never crashes on any
 * input (there is a libFuzzer target).
 * Input over FW_POLICY_MAX_BYTES is FW_ERR_TOO_LARGE, with one diag at 1:1.
 * A diag's message has no position in it; fw_policy_diag_format adds it.
 * When more than fit, the last diag says how many were not shown. */
enum fw_err fw_policy_parse(const char *text, size_t n, struct fw_policy **out,
			    struct fw_policy_diags *diags) FW_WUR;
void fw_policy_free(struct fw_policy *p); /* NULL is a no-op */

/* "line 3:17: unknown artifact kind ..." or "line 2:1: warning: ...", the
 * form the CLI and the API show. Truncates to out_bytes (NUL included). */
void fw_policy_diag_format(const struct fw_policy_diag *d, char *out, size_t out_bytes);

/* Whether the policy has a block for this tier name. */
bool fw_policy_has_tier(const struct fw_policy *p, const char *tier);

struct fw_policy_decision {
	bool withheld;
	int64_t offset; /* release at T + offset (offset <= 0 usually) */
	int line;       /* the line of the deciding rule, 0 for default deny */
	char reason[256]; /* e.g. "tier ans grants poc at T-5d (line 3)" or
			     "no rule grants poc to tier entry (default deny)" */
};

/* The decision for one member, advisory and kind. Pure: no I/O, no clock. */
void fw_policy_decide(const struct fw_policy *p, const struct fw_member *m,
		      const struct fw_advisory *a, enum fw_kind kind,
		      struct fw_policy_decision *out);

#endif
