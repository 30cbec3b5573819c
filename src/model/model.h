/* The plain data of forewarn: members, advisories, artifacts, deliveries,
 * tokens; their validation; CVSS v3.1 scores; JSON codecs.
 *
 * Structs hold fixed-size, NUL-terminated strings so that they can be copied,
 * stored and freed without ownership rules. Every size below is a limit that
 * input is checked against. */
#ifndef FW_MODEL_MODEL_H
#define FW_MODEL_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define FW_MODEL_ID_BYTES 64        /* slugs: [a-z0-9][a-z0-9-]{0,62} */
#define FW_MODEL_NAME_BYTES 256
#define FW_MODEL_TITLE_BYTES 512
#define FW_MODEL_TAG_BYTES 48       /* tags are slugs too */
#define FW_MODEL_MAX_TAGS 16
#define FW_MODEL_CONTACT_BYTES 256
#define FW_MODEL_AGE_RECIPIENT_BYTES 128
#define FW_MODEL_MINISIGN_PK_BYTES 128 /* base64 of the 42-byte key, one line */
#define FW_MODEL_CVE_BYTES 24       /* CVE-YYYY-NNNN… */
#define FW_MODEL_MAX_CVES 16
#define FW_MODEL_PRODUCT_BYTES 128
#define FW_MODEL_MAX_PRODUCTS 16
#define FW_MODEL_CVSS_BYTES 128
#define FW_MODEL_MEDIA_TYPE_BYTES 128
#define FW_MODEL_TOKEN_ID_BYTES 32

enum fw_kind {
	FW_KIND_SUMMARY,
	FW_KIND_DESCRIPTION,
	FW_KIND_DETECTION,
	FW_KIND_INDICATORS,
	FW_KIND_MITIGATION,
	FW_KIND_POC,
	FW_KIND_COUNT
};

enum fw_member_status {
	FW_MEMBER_ACTIVE,
	FW_MEMBER_PROBATION,
	FW_MEMBER_SUSPENDED,
	FW_MEMBER_EXPELLED,
};

enum fw_advisory_status {
	FW_ADVISORY_DRAFT,
	FW_ADVISORY_SCHEDULED,
	FW_ADVISORY_PUBLIC,
};

enum fw_tlp { FW_TLP_CLEAR, FW_TLP_GREEN, FW_TLP_AMBER, FW_TLP_AMBER_STRICT, FW_TLP_RED };

enum fw_role { FW_ROLE_ADMIN, FW_ROLE_MEMBER, FW_ROLE_AUDITOR };

struct fw_tags {
	size_t n;
	char v[FW_MODEL_MAX_TAGS][FW_MODEL_TAG_BYTES];
};

struct fw_member {
	char id[FW_MODEL_ID_BYTES];
	char name[FW_MODEL_NAME_BYTES];
	char tier[FW_MODEL_ID_BYTES];
	char jurisdiction[3]; /* ISO 3166-1 alpha-2, upper case */
	enum fw_member_status status;
	struct fw_tags tags;
	char contact[FW_MODEL_CONTACT_BYTES];
	char age_recipient[FW_MODEL_AGE_RECIPIENT_BYTES];
	char minisign_pubkey[FW_MODEL_MINISIGN_PK_BYTES]; /* "" when none */
	int64_t created_at;
	int64_t updated_at;
	/* Counts the member's changes (the store bumps it at every update, so
	 * two changes in one second differ); read-only, 0 for a new member. */
	int64_t revision;
};

struct fw_advisory {
	char id[FW_MODEL_ID_BYTES];
	char title[FW_MODEL_TITLE_BYTES];
	size_t ncves;
	char cves[FW_MODEL_MAX_CVES][FW_MODEL_CVE_BYTES];
	size_t nproducts;
	char products[FW_MODEL_MAX_PRODUCTS][FW_MODEL_PRODUCT_BYTES];
	char cvss_vector[FW_MODEL_CVSS_BYTES]; /* "" when none */
	double cvss_score;                     /* base score, 0.0 when none */
	struct fw_tags tags;
	int64_t public_at; /* T; 0 while unset */
	enum fw_advisory_status status;
	enum fw_tlp tlp;
	int64_t created_at;
	int64_t updated_at;
	/* Counts the advisory's changes (the store bumps it at every update,
	 * not at publication); read-only, 0 for a new advisory. */
	int64_t revision;
};

/* One version of one kind of artifact of an advisory. The content itself is
 * kept apart (it is large and encrypted at rest). */
struct fw_artifact {
	char advisory_id[FW_MODEL_ID_BYTES];
	enum fw_kind kind;
	int version; /* 1, 2, … per (advisory, kind) */
	char media_type[FW_MODEL_MEDIA_TYPE_BYTES];
	uint64_t size;
	uint8_t sha256[32]; /* of the plaintext */
	int64_t created_at;
};

/* One sealed copy of one artifact version for one member. */
struct fw_delivery {
	int64_t id;
	char member_id[FW_MODEL_ID_BYTES];
	char advisory_id[FW_MODEL_ID_BYTES];
	enum fw_kind kind;
	int version;
	int64_t created_at;   /* when it was sealed (scheduler time) */
	int64_t first_read_at; /* 0 until the member first downloads it */
	uint64_t size;        /* of the age file */
	uint8_t sha256_sealed[32];
	uint8_t sha256_plain[32];
};

/* A planned release: when member gets kind of advisory (or withheld). */
struct fw_plan_entry {
	char member_id[FW_MODEL_ID_BYTES];
	char advisory_id[FW_MODEL_ID_BYTES];
	enum fw_kind kind;
	bool withheld;
	int64_t release_at; /* meaningful when !withheld */
	char reason[256];   /* the rules that decided, for people */
	/* The policy version that decided. Only entries of the newest version
	 * are ever released, so a new policy stops every older plan the moment
	 * it is stored, before the re-plan is written. */
	int policy_version;
};

struct fw_token {
	char id[FW_MODEL_TOKEN_ID_BYTES]; /* public handle, "tok_" + 16 hex */
	enum fw_role role;
	char member_id[FW_MODEL_ID_BYTES]; /* role member only */
	char label[FW_MODEL_NAME_BYTES];
	int64_t created_at;
	int64_t expires_at; /* 0 = no expiry */
	int64_t revoked_at; /* 0 = not revoked */
	int64_t last_used_at;
};

/* --- names of enums (never NULL) and their parsers (FW_ERR_INVALID + detail) */
const char *fw_kind_name(enum fw_kind k);
enum fw_err fw_kind_parse(const char *s, enum fw_kind *out) FW_WUR;
const char *fw_member_status_name(enum fw_member_status s);
enum fw_err fw_member_status_parse(const char *s, enum fw_member_status *out) FW_WUR;
const char *fw_advisory_status_name(enum fw_advisory_status s);
enum fw_err fw_advisory_status_parse(const char *s, enum fw_advisory_status *out) FW_WUR;
const char *fw_tlp_name(enum fw_tlp t); /* "TLP:AMBER" */
enum fw_err fw_tlp_parse(const char *s, enum fw_tlp *out) FW_WUR; /* "AMBER" or "TLP:AMBER" */
const char *fw_role_name(enum fw_role r);
enum fw_err fw_role_parse(const char *s, enum fw_role *out) FW_WUR;

/* --- validation (validate.c): FW_OK or FW_ERR_INVALID with a detail naming `what` */
bool fw_model_is_slug(const char *s, size_t max_bytes);
bool fw_model_is_jurisdiction(const char *s); /* assigned ISO 3166-1 alpha-2 code */
bool fw_model_is_cve(const char *s);          /* CVE-YYYY-NNNN with 4+ digits */
/* Checks the bech32 encoding, the "age" HRP and the 32-byte payload. */
bool fw_model_is_age_recipient(const char *s);
bool fw_model_is_minisign_pubkey(const char *s); /* base64 of "Ed"+8+32 bytes */

/* --- CVSS v3.1 (cvss.c), per FIRST's specification, section 7 */
enum fw_cvss_severity { FW_CVSS_NONE, FW_CVSS_LOW, FW_CVSS_MEDIUM, FW_CVSS_HIGH, FW_CVSS_CRITICAL };
/* Parses "CVSS:3.1/AV:N/AC:L/…" (all eight base metrics, each once, any
 * order; temporal and environmental metrics accepted and ignored) and
 * computes the base score (0.0–10.0, rounded up to one decimal). */
enum fw_err fw_cvss31_base_score(const char *vector, double *score) FW_WUR;
enum fw_cvss_severity fw_cvss_severity(double score);
const char *fw_cvss_severity_name(enum fw_cvss_severity s); /* "critical" */
/* Added by the model implementation: the Roundup of the specification's
 * Appendix A (smallest one-decimal number >= x, computed on integers so that
 * float noise such as 4.000000000000001 does not become 4.1). Exposed so the
 * rounding rule can be tested directly and reused for temporal scores. */
double fw_cvss_roundup(double x);

/* --- JSON codecs (json.c). *_to_json returns a new reference (NULL on no
 * memory). *_from_json fills `out` from an API request body, checking every
 * field; on error the detail names the field. For an update, `out` holds the
 * current record and only the fields present in the JSON change. */
json_t *fw_member_to_json(const struct fw_member *m);
enum fw_err fw_member_from_json(const json_t *j, struct fw_member *out, bool update) FW_WUR;
json_t *fw_advisory_to_json(const struct fw_advisory *a);
enum fw_err fw_advisory_from_json(const json_t *j, struct fw_advisory *out, bool update) FW_WUR;
json_t *fw_artifact_to_json(const struct fw_artifact *a);
json_t *fw_delivery_to_json(const struct fw_delivery *d);
json_t *fw_plan_entry_to_json(const struct fw_plan_entry *p);
json_t *fw_token_to_json(const struct fw_token *t);
json_t *fw_time_to_json(int64_t t); /* RFC 3339 string, or null for 0 */

#endif
