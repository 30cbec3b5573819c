/* The entitlement policy: which member gets which kind of artifact of an
 * advisory, and how long before the public release time T.
 *
 * The language (docs/policy.md has the grammar and the semantics):
 *
 *   # comments run to the end of the line
 *   max_embargo 30d
 *   set mandatory_reporting = [CN, RU]
 *   tier validate { grant all at T-14d }
 *   tier ans      { grant summary, detection, poc at T-5d }
 *   tier entry    { grant summary at T-1d }
 *   public        { grant summary, description, mitigation at T }
 *   restrict mandatory-reporting when member.jurisdiction in mandatory_reporting {
 *     withhold poc
 *     delay all until T
 *   }
 *
 * Grants: a member's decision for a kind is the earliest grant of its
 * tier's block and the public block; with none, the kind is withheld
 * (default deny). Restrictions whose condition holds then only take away:
 * `cap tier NAME` makes each kind no earlier than tier NAME gets it (and
 * withheld if NAME does not), `delay` moves a release to no earlier than its
 * time (the latest delay wins), `withhold` withholds (and beats any delay).
 * A member whose status is suspended or expelled gets nothing. */
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
#define FW_POLICY_MAX_SETS 64
#define FW_POLICY_MAX_VALUES 4096       /* in all sets, lists and comparisons */
#define FW_POLICY_MAX_RESTRICTIONS 128
#define FW_POLICY_MAX_EFFECTS 16        /* per restriction */
#define FW_POLICY_MAX_COND_NODES 256    /* per condition: operators and comparisons */
#define FW_POLICY_MAX_COND_DEPTH 32     /* nesting of parentheses and `not` */
#define FW_POLICY_DEFAULT_MAX_EMBARGO (30LL * 86400)
#define FW_POLICY_MAX_EXPLAIN 16        /* rules kept in a decision's explanation */

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

/* The kinds of rule that can take part in a decision. */
enum fw_policy_rule_kind {
	FW_POLICY_RULE_GRANT,    /* a grant of a tier block */
	FW_POLICY_RULE_PUBLIC,   /* a grant of the public block */
	FW_POLICY_RULE_WITHHOLD, /* a restriction's withhold */
	FW_POLICY_RULE_DELAY,    /* a restriction's delay */
	FW_POLICY_RULE_CAP,      /* a restriction's cap tier */
	FW_POLICY_RULE_STATUS,   /* the member is suspended or expelled */
	FW_POLICY_RULE_DEFAULT,  /* no grant: default deny */
};

/* "grant", "public", "withhold", "delay", "cap", "status", "default". */
const char *fw_policy_rule_kind_name(enum fw_policy_rule_kind k);

/* One rule that took part in a decision. */
struct fw_policy_rule_ref {
	enum fw_policy_rule_kind kind;
	char name[FW_MODEL_ID_BYTES]; /* the tier, "public", the restriction,
					 the status; "" for default deny */
	int line;                     /* 0 for status and default deny */
	bool decisive;                /* the rule the decision's line and reason name */
	char effect[128];             /* "grants poc at T-5d", "withholds poc",
					 "delays description until T",
					 "caps to tier entry, which gets no poc" */
};

struct fw_policy_decision {
	bool withheld;
	int64_t offset; /* release at T + offset (offset <= 0 usually) */
	int line;       /* the line of the deciding rule; 0 for default deny
			   and for a suspended or expelled member */
	char reason[256]; /* e.g. "tier ans grants poc at T-5d (line 3)",
			     "no rule grants poc to tier entry (default deny)",
			     "restriction cn withholds poc (line 9)" */
	/* Every rule that applied, in the order they were applied: the grant
	 * (or default deny, or status), then caps, delays and withholds in the
	 * order of the file. Exactly one is decisive. When more than
	 * FW_POLICY_MAX_EXPLAIN applied, the decisive one is kept (last) and
	 * rules_omitted counts the others left out. rules[nrules..] are not
	 * written. */
	size_t nrules;
	size_t rules_omitted;
	struct fw_policy_rule_ref rules[FW_POLICY_MAX_EXPLAIN];
};

/* The decision for one member, advisory and kind. Pure: no I/O, no clock.
 * a may be NULL (an advisory with no attributes: no tags, CVSS 0.0). */
void fw_policy_decide(const struct fw_policy *p, const struct fw_member *m,
		      const struct fw_advisory *a, enum fw_kind kind,
		      struct fw_policy_decision *out);

/* The explanation of a decision for people, as `forewarn policy explain`
 * prints it, one line each:
 *
 *   poc: withheld
 *     line 4: grant tier ans: grants poc at T-5d
 *     line 12: withhold mandatory-reporting: withholds poc (decides)
 *
 * With public_at (T) non-zero the release time is also shown absolute
 * ("poc: release at 2025-07-03T17:00:00Z (T-5d)"). Truncates to out_bytes
 * (NUL included); returns the length the whole text needs, as snprintf. */
size_t fw_policy_explain_format(const struct fw_policy_decision *d, enum fw_kind kind, int64_t public_at,
				char *out, size_t out_bytes);

/* The longest time before T that any release may be (max_embargo, by
 * default FW_POLICY_DEFAULT_MAX_EMBARGO), in seconds, >= 0; and the line
 * that set it (0 for the default). p NULL gives the default. */
int64_t fw_policy_max_embargo(const struct fw_policy *p);
int fw_policy_max_embargo_line(const struct fw_policy *p);

/* Checks a decision for member m and kind against max_embargo: FW_OK when
 * withheld or released no more than max_embargo before T; otherwise
 * FW_ERR_INVALID with a detail (fw_err_detail) naming the member, the kind,
 * the deciding rule and its line, and max_embargo, e.g.
 * "member acme would get poc at T-45d, more than max_embargo 30d (line 1)
 * before T: tier validate grants poc at T-45d (line 2)". A planner refuses
 * the plan then. */
enum fw_err fw_policy_check_embargo(const struct fw_policy *p, const struct fw_member *m, enum fw_kind kind,
				    const struct fw_policy_decision *d) FW_WUR;


/* --- member classes (classify.c) ------------------------------------------
 * Members the policy cannot tell apart get the same decision for every
 * advisory and kind: a class is what the policy can see of a member (tier,
 * status, and the id, jurisdiction and tags only where the policy names
 * them), written as text, e.g.
 *   "tier=ans status=active jurisdiction=CN id=* tags=gov"
 * The planner decides once per class (docs/policy.md, "Planning"). */
#define FW_POLICY_CLASS_BYTES 1024
struct fw_policy_classifier;
/* Prepares classification under p, which must outlive it. */
enum fw_err fw_policy_classifier_new(const struct fw_policy *p, struct fw_policy_classifier **out) FW_WUR;
void fw_policy_classifier_free(struct fw_policy_classifier *c); /* NULL is a no-op */
/* m's class; a member whose class would not fit FW_POLICY_CLASS_BYTES is
 * a class of its own ("member=<id>"). */
void fw_policy_classify(const struct fw_policy_classifier *c, const struct fw_member *m,
			char out[FW_POLICY_CLASS_BYTES]);

#endif
