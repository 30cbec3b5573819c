/* JSON codecs of the model.
 *
 * to_json writes what the API shows (never a secret). from_json reads API
 * request bodies, which are untrusted: every field is checked for type, size
 * and meaning, unknown and read-only fields are refused, and errors name the
 * field. The record is built in a copy so that a refused request leaves the
 * caller's record as it was. */
#include <stdio.h>
#include <string.h>

#include "base/time.h"
#include "crypto/crypto.h"
#include "model/model.h"

/* ---------------------------------------------------------------- to_json */

json_t *fw_time_to_json(int64_t t)
{
	if (t == 0)
		return json_null();
	char s[FW_TIME_BYTES];
	fw_time_format(t, s);
	return json_string(s);
}

/* json_object_set_new steals v even on failure and fails on v == NULL, so a
 * failed allocation anywhere shows up as a non-zero sum of these results. */
static int put(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) != 0;
}

static json_t *or_null(const char *s) { return s[0] ? json_string(s) : json_null(); }

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char hex[2 * 64 + 1];
	if (n > 64)
		return NULL;
	fw_crypto_hex(p, n, hex);
	return json_string(hex);
}

static json_t *string_list(const char *first, size_t stride, size_t n)
{
	json_t *a = json_array();
	if (!a)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(first + i * stride)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *tags_json(const struct fw_tags *t)
{
	return string_list(t->v[0], sizeof t->v[0],
			   t->n < FW_MODEL_MAX_TAGS ? t->n : FW_MODEL_MAX_TAGS);
}

static json_t *finish(json_t *o, int failed)
{
	if (failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *fw_member_to_json(const struct fw_member *m)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	int bad = 0;
	bad += put(o, "id", json_string(m->id));
	bad += put(o, "name", json_string(m->name));
	bad += put(o, "tier", json_string(m->tier));
	bad += put(o, "jurisdiction", json_string(m->jurisdiction));
	bad += put(o, "status", json_string(fw_member_status_name(m->status)));
	bad += put(o, "tags", tags_json(&m->tags));
	bad += put(o, "contact", json_string(m->contact));
	bad += put(o, "age_recipient", json_string(m->age_recipient));
	bad += put(o, "minisign_pubkey", or_null(m->minisign_pubkey));
	bad += put(o, "created_at", fw_time_to_json(m->created_at));
	bad += put(o, "updated_at", fw_time_to_json(m->updated_at));
	return finish(o, bad);
}

json_t *fw_advisory_to_json(const struct fw_advisory *a)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	bool scored = a->cvss_vector[0] != '\0';
	size_t ncves = a->ncves < FW_MODEL_MAX_CVES ? a->ncves : FW_MODEL_MAX_CVES;
	size_t nproducts =
		a->nproducts < FW_MODEL_MAX_PRODUCTS ? a->nproducts : FW_MODEL_MAX_PRODUCTS;
	int bad = 0;
	bad += put(o, "id", json_string(a->id));
	bad += put(o, "title", json_string(a->title));
	bad += put(o, "cves", string_list(a->cves[0], sizeof a->cves[0], ncves));
	bad += put(o, "products", string_list(a->products[0], sizeof a->products[0], nproducts));
	bad += put(o, "cvss_vector", or_null(a->cvss_vector));
	bad += put(o, "cvss_score", scored ? json_real(a->cvss_score) : json_null());
	bad += put(o, "severity",
		   scored ? json_string(fw_cvss_severity_name(fw_cvss_severity(a->cvss_score)))
			  : json_null());
	bad += put(o, "tags", tags_json(&a->tags));
	bad += put(o, "public_at", fw_time_to_json(a->public_at));
	bad += put(o, "status", json_string(fw_advisory_status_name(a->status)));
	bad += put(o, "tlp", json_string(fw_tlp_name(a->tlp)));
	bad += put(o, "created_at", fw_time_to_json(a->created_at));
	bad += put(o, "updated_at", fw_time_to_json(a->updated_at));
	return finish(o, bad);
}

json_t *fw_artifact_to_json(const struct fw_artifact *a)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	int bad = 0;
	bad += put(o, "advisory", json_string(a->advisory_id));
	bad += put(o, "kind", json_string(fw_kind_name(a->kind)));
	bad += put(o, "version", json_integer(a->version));
	bad += put(o, "media_type", json_string(a->media_type));
	bad += put(o, "size", json_integer((json_int_t)a->size));
	bad += put(o, "sha256", hex_json(a->sha256, sizeof a->sha256));
	bad += put(o, "created_at", fw_time_to_json(a->created_at));
	return finish(o, bad);
}

json_t *fw_delivery_to_json(const struct fw_delivery *d)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	int bad = 0;
	bad += put(o, "id", json_integer(d->id));
	bad += put(o, "member", json_string(d->member_id));
	bad += put(o, "advisory", json_string(d->advisory_id));
	bad += put(o, "kind", json_string(fw_kind_name(d->kind)));
	bad += put(o, "version", json_integer(d->version));
	bad += put(o, "created_at", fw_time_to_json(d->created_at));
	bad += put(o, "first_read_at", fw_time_to_json(d->first_read_at));
	bad += put(o, "size", json_integer((json_int_t)d->size));
	bad += put(o, "sha256_sealed", hex_json(d->sha256_sealed, sizeof d->sha256_sealed));
	bad += put(o, "sha256_plain", hex_json(d->sha256_plain, sizeof d->sha256_plain));
	return finish(o, bad);
}

json_t *fw_plan_entry_to_json(const struct fw_plan_entry *p)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	int bad = 0;
	bad += put(o, "member", json_string(p->member_id));
	bad += put(o, "advisory", json_string(p->advisory_id));
	bad += put(o, "kind", json_string(fw_kind_name(p->kind)));
	bad += put(o, "decision", json_string(p->withheld ? "withheld" : "release"));
	if (!p->withheld)
		bad += put(o, "release_at", fw_time_to_json(p->release_at));
	bad += put(o, "reason", json_string(p->reason));
	return finish(o, bad);
}

json_t *fw_token_to_json(const struct fw_token *t)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	int bad = 0;
	bad += put(o, "id", json_string(t->id));
	bad += put(o, "role", json_string(fw_role_name(t->role)));
	bad += put(o, "member",
		   t->role == FW_ROLE_MEMBER ? json_string(t->member_id) : json_null());
	bad += put(o, "label", json_string(t->label));
	bad += put(o, "created_at", fw_time_to_json(t->created_at));
	bad += put(o, "expires_at", fw_time_to_json(t->expires_at));
	bad += put(o, "revoked_at", fw_time_to_json(t->revoked_at));
	bad += put(o, "last_used_at", fw_time_to_json(t->last_used_at));
	return finish(o, bad);
}

/* -------------------------------------------------------------- from_json */

/* Copies a detail that is about to be wrapped: fw_err_set writes into the
 * same thread-local buffer that fw_err_detail returns. */
static enum fw_err wrap(const char *field)
{
	char inner[400];
	snprintf(inner, sizeof inner, "%s", fw_err_detail());
	return fw_err_set(FW_ERR_INVALID, "field \"%s\": %s", field, inner);
}

/* A JSON string that fits in `bytes` (with its NUL) and has no NUL inside:
 * jansson allows "\u0000", which would silently cut a C string short. */
static enum fw_err take_string(const json_t *v, const char *field, size_t bytes, const char **out)
{
	if (!json_is_string(v))
		return fw_err_set(FW_ERR_INVALID, "field \"%s\" must be a string", field);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (strlen(s) != n)
		return fw_err_set(FW_ERR_INVALID, "field \"%s\" must not contain NUL characters",
				  field);
	if (n >= bytes)
		return fw_err_set(FW_ERR_INVALID, "field \"%s\" is too long (at most %zu bytes)",
				  field, bytes - 1);
	*out = s;
	return FW_OK;
}

static void store(char *dst, size_t bytes, const char *s)
{
	/* Zero the rest too, so records compare and store byte for byte. */
	memset(dst, 0, bytes);
	memcpy(dst, s, strlen(s));
}

/* Free text shown to people (names, titles, products) may not hold control
 * characters, which could forge lines in e-mails, logs and terminals. */
static bool has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

static enum fw_err take_text(const json_t *v, const char *field, size_t bytes, bool allow_empty,
			     char *dst)
{
	const char *s;
	enum fw_err r;
	if ((r = take_string(v, field, bytes, &s)) != FW_OK)
		return r;
	if (!allow_empty && !*s)
		return fw_err_set(FW_ERR_INVALID, "field \"%s\" must not be empty", field);
	if (has_control(s))
		return fw_err_set(FW_ERR_INVALID,
				  "field \"%s\" must not contain control characters", field);
	store(dst, bytes, s);
	return FW_OK;
}

static enum fw_err take_slug(const json_t *v, const char *field, size_t bytes, char *dst)
{
	const char *s;
	enum fw_err r;
	if ((r = take_string(v, field, bytes, &s)) != FW_OK)
		return r;
	if (!fw_model_is_slug(s, bytes))
		return fw_err_set(
			FW_ERR_INVALID,
			"field \"%s\" must be lower-case letters, digits and '-', starting with a "
			"letter or digit and not ending with '-'",
			field);
	store(dst, bytes, s);
	return FW_OK;
}

/* How one entry of a list is checked. */
enum list_kind { LIST_TAGS, LIST_CVES, LIST_PRODUCTS };

static enum fw_err check_entry(enum list_kind kind, const char *field, size_t i, const char *s,
			       size_t bytes)
{
	switch (kind) {
	case LIST_TAGS:
		if (!fw_model_is_slug(s, bytes))
			return fw_err_set(
				FW_ERR_INVALID,
				"field \"%s\" entry %zu must be lower-case letters, digits and "
				"'-', starting with a letter or digit and not ending with '-'",
				field, i);
		break;
	case LIST_CVES:
		if (!fw_model_is_cve(s))
			return fw_err_set(
				FW_ERR_INVALID,
				"field \"%s\" entry %zu is not a CVE id (want e.g. CVE-2025-12345)",
				field, i);
		break;
	case LIST_PRODUCTS:
		if (!*s)
			return fw_err_set(FW_ERR_INVALID,
					  "field \"%s\" entry %zu must not be empty", field, i);
		if (has_control(s))
			return fw_err_set(FW_ERR_INVALID,
					  "field \"%s\" entry %zu must not contain control characters",
					  field, i);
		break;
	}
	return FW_OK;
}

/* An array of at most max distinct strings, each checked by kind and stored
 * at dst + i * bytes. */
static enum fw_err take_list(const json_t *v, const char *field, enum list_kind kind, size_t max,
			     size_t bytes, char *dst, size_t *count)
{
	if (!json_is_array(v))
		return fw_err_set(FW_ERR_INVALID, "field \"%s\" must be an array of strings",
				  field);
	size_t n = json_array_size(v);
	if (n > max)
		return fw_err_set(FW_ERR_INVALID, "field \"%s\" has %zu entries (at most %zu)",
				  field, n, max);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);
		const char *s;
		if (!json_is_string(e))
			return fw_err_set(FW_ERR_INVALID,
					  "field \"%s\" must be an array of strings", field);
		if (json_string_length(e) >= bytes)
			return fw_err_set(FW_ERR_INVALID,
					  "field \"%s\" entry %zu is too long (at most %zu bytes)",
					  field, i, bytes - 1);
		enum fw_err r;
		if ((r = take_string(e, field, bytes, &s)) != FW_OK)
			return r;
		if ((r = check_entry(kind, field, i, s, bytes)) != FW_OK)
			return r;
		for (size_t k = 0; k < i; k++)
			if (strcmp(dst + k * bytes, s) == 0)
				return fw_err_set(FW_ERR_INVALID,
						  "field \"%s\" lists \"%.64s\" twice", field, s);
		store(dst + i * bytes, bytes, s);
	}
	for (size_t i = n; i < max; i++)
		memset(dst + i * bytes, 0, bytes);
	*count = n;
	return FW_OK;
}

static enum fw_err take_tags(const json_t *v, const char *field, struct fw_tags *t)
{
	return take_list(v, field, LIST_TAGS, FW_MODEL_MAX_TAGS, sizeof t->v[0], t->v[0], &t->n);
}

/* Both the record kinds share the walk over the body's members: each field
 * has a setter, read-only fields are named so that the refusal can say why. */
typedef enum fw_err (*setter)(const json_t *v, void *rec, bool update);

struct field {
	const char *name;
	setter set;    /* NULL: read-only */
	bool required; /* on create */
};
#define MAX_FIELDS 16

static enum fw_err apply(const json_t *j, const struct field *fields, size_t nfields, void *rec,
			 bool update)
{
	enum fw_err r;
	bool seen[MAX_FIELDS] = {false};
	const char *key;
	json_t *v;
	if (nfields > MAX_FIELDS)
		return fw_err_set(FW_ERR_INTERNAL, "too many fields in a model table");
	if (!json_is_object(j))
		return fw_err_set(FW_ERR_INVALID, "request body must be a JSON object");
	/* json_object_foreach is not const-correct; it only reads here. */
	json_object_foreach ((json_t *)j, key, v) {
		size_t i = 0;
		while (i < nfields && strcmp(fields[i].name, key) != 0)
			i++;
		if (i == nfields)
			return fw_err_set(FW_ERR_INVALID, "unknown field \"%.64s\"", key);
		if (!fields[i].set)
			return fw_err_set(FW_ERR_INVALID, "field \"%s\" is read-only", key);
		if ((r = fields[i].set(v, rec, update)) != FW_OK)
			return r;
		seen[i] = true;
	}
	if (!update)
		for (size_t i = 0; i < nfields; i++)
			if (fields[i].required && !seen[i])
				return fw_err_set(FW_ERR_INVALID, "missing required field \"%s\"",
						  fields[i].name);
	return FW_OK;
}

/* The id names the record; an update may repeat it but never change it. */
static enum fw_err set_id(const json_t *v, char id[FW_MODEL_ID_BYTES], bool update)
{
	char next[FW_MODEL_ID_BYTES];
	enum fw_err r;
	if ((r = take_slug(v, "id", sizeof next, next)) != FW_OK)
		return r;
	if (update && strcmp(next, id) != 0)
		return fw_err_set(FW_ERR_INVALID,
				  "field \"id\" cannot change (this record is \"%s\")", id);
	store(id, FW_MODEL_ID_BYTES, next);
	return FW_OK;
}

/* --- member */

static enum fw_err m_id(const json_t *v, void *rec, bool update)
{
	return set_id(v, ((struct fw_member *)rec)->id, update);
}

static enum fw_err m_name(const json_t *v, void *rec, bool update)
{
	(void)update;
	struct fw_member *m = rec;
	return take_text(v, "name", sizeof m->name, false, m->name);
}

static enum fw_err m_tier(const json_t *v, void *rec, bool update)
{
	(void)update;
	struct fw_member *m = rec;
	return take_slug(v, "tier", sizeof m->tier, m->tier);
}

static enum fw_err m_jurisdiction(const json_t *v, void *rec, bool update)
{
	(void)update;
	struct fw_member *m = rec;
	const char *s;
	enum fw_err r;
	/* Room for a few more bytes than fit, so "DEU" gets the ISO message. */
	if ((r = take_string(v, "jurisdiction", 8, &s)) != FW_OK)
		return r;
	if (!fw_model_is_jurisdiction(s))
		return fw_err_set(
			FW_ERR_INVALID,
			"field \"jurisdiction\" must be an assigned ISO 3166-1 alpha-2 code in "
			"upper case (e.g. DE, GB, US)");
	store(m->jurisdiction, sizeof m->jurisdiction, s);
	return FW_OK;
}

static enum fw_err m_status(const json_t *v, void *rec, bool update)
{
	(void)update;
	struct fw_member *m = rec;
	const char *s;
	enum fw_err r;
	if ((r = take_string(v, "status", 32, &s)) != FW_OK)
		return r;
	if (fw_member_status_parse(s, &m->status) != FW_OK)
		return wrap("status");
	return FW_OK;
}

static enum fw_err m_tags(const json_t *v, void *rec, bool update)
{
	(void)update;
	return take_tags(v, "tags", &((struct fw_member *)rec)->tags);
}

static enum fw_err m_contact(const json_t *v, void *rec, bool update)
{
	(void)update;
	struct fw_member *m = rec;
	return take_text(v, "contact", sizeof m->contact, true, m->contact);
}

static enum fw_err m_age(const json_t *v, void *rec, bool update)
{
	(void)update;
	struct fw_member *m = rec;
	const char *s;
	enum fw_err r;
	if ((r = take_string(v, "age_recipient", sizeof m->age_recipient, &s)) != FW_OK)
		return r;
	if (!fw_model_is_age_recipient(s))
		return fw_err_set(
			FW_ERR_INVALID,
			"field \"age_recipient\" must be an age X25519 recipient (age1…)");
	store(m->age_recipient, sizeof m->age_recipient, s);
	return FW_OK;
}

static enum fw_err m_minisign(const json_t *v, void *rec, bool update)
{
	(void)update;
	struct fw_member *m = rec;
	const char *s = "";
	enum fw_err r;
	/* null and "" both mean "no key", as to_json writes null for none. */
	if (!json_is_null(v) &&
	    (r = take_string(v, "minisign_pubkey", sizeof m->minisign_pubkey, &s)) != FW_OK)
		return r;
	if (*s && !fw_model_is_minisign_pubkey(s))
		return fw_err_set(
			FW_ERR_INVALID,
			"field \"minisign_pubkey\" must be a minisign public key (the one base64 "
			"line, RW…), or null");
	store(m->minisign_pubkey, sizeof m->minisign_pubkey, s);
	return FW_OK;
}

static const struct field member_fields[] = {
	{"id", m_id, true},
	{"name", m_name, true},
	{"tier", m_tier, true},
	{"jurisdiction", m_jurisdiction, true},
	{"status", m_status, false},
	{"tags", m_tags, false},
	{"contact", m_contact, false},
	{"age_recipient", m_age, true},
	{"minisign_pubkey", m_minisign, false},
	{"created_at", NULL, false},
	{"updated_at", NULL, false},
};

enum fw_err fw_member_from_json(const json_t *j, struct fw_member *out, bool update)
{
	struct fw_member m;
	enum fw_err r;
	if (update) {
		m = *out;
	} else {
		memset(&m, 0, sizeof m);
		m.status = FW_MEMBER_ACTIVE;
	}
	if ((r = apply(j, member_fields, sizeof member_fields / sizeof member_fields[0], &m,
		       update)) != FW_OK)
		return r;
	*out = m;
	return FW_OK;
}

/* --- advisory */

static enum fw_err a_id(const json_t *v, void *rec, bool update)
{
	return set_id(v, ((struct fw_advisory *)rec)->id, update);
}

static enum fw_err a_title(const json_t *v, void *rec, bool update)
{
	(void)update;
	struct fw_advisory *a = rec;
	return take_text(v, "title", sizeof a->title, false, a->title);
}

static enum fw_err a_cves(const json_t *v, void *rec, bool update)
{
	(void)update;
	struct fw_advisory *a = rec;
	return take_list(v, "cves", LIST_CVES, FW_MODEL_MAX_CVES, sizeof a->cves[0], a->cves[0],
			 &a->ncves);
}

static enum fw_err a_products(const json_t *v, void *rec, bool update)
{
	(void)update;
	struct fw_advisory *a = rec;
	return take_list(v, "products", LIST_PRODUCTS, FW_MODEL_MAX_PRODUCTS, sizeof a->products[0],
			 a->products[0], &a->nproducts);
}

static enum fw_err a_cvss(const json_t *v, void *rec, bool update)
{
	(void)update;
	struct fw_advisory *a = rec;
	const char *s = "";
	double score = 0.0;
	enum fw_err r;
	/* The score is derived, never taken from the client: it always matches
	 * the vector. "" and null clear both. */
	if (!json_is_null(v) &&
	    (r = take_string(v, "cvss_vector", sizeof a->cvss_vector, &s)) != FW_OK)
		return r;
	if (*s && fw_cvss31_base_score(s, &score) != FW_OK)
		return wrap("cvss_vector");
	store(a->cvss_vector, sizeof a->cvss_vector, s);
	a->cvss_score = score;
	return FW_OK;
}

static enum fw_err a_tags(const json_t *v, void *rec, bool update)
{
	(void)update;
	return take_tags(v, "tags", &((struct fw_advisory *)rec)->tags);
}

static enum fw_err a_public_at(const json_t *v, void *rec, bool update)
{
	(void)update;
	struct fw_advisory *a = rec;
	const char *s;
	int64_t t;
	if (json_is_null(v)) {
		a->public_at = 0;
		return FW_OK;
	}
	/* 0 means "unset" in the record, so the epoch itself (and anything
	 * before it) cannot be a publication time. */
	if (take_string(v, "public_at", FW_TIME_BYTES * 2, &s) != FW_OK ||
	    fw_time_parse(s, &t) != FW_OK || t <= 0)
		return fw_err_set(FW_ERR_INVALID,
				  "field \"public_at\" must be an RFC 3339 time after 1970 (e.g. "
				  "2025-07-08T17:00:00Z) or null");
	a->public_at = t;
	return FW_OK;
}

static enum fw_err a_tlp(const json_t *v, void *rec, bool update)
{
	(void)update;
	struct fw_advisory *a = rec;
	const char *s;
	enum fw_err r;
	if ((r = take_string(v, "tlp", 32, &s)) != FW_OK)
		return r;
	if (fw_tlp_parse(s, &a->tlp) != FW_OK)
		return wrap("tlp");
	return FW_OK;
}

/* status moves only through the release workflow (schedule, publish), never
 * by editing the record; cvss_score and severity follow from cvss_vector. */
static const struct field advisory_fields[] = {
	{"id", a_id, true},
	{"title", a_title, true},
	{"cves", a_cves, false},
	{"products", a_products, false},
	{"cvss_vector", a_cvss, false},
	{"tags", a_tags, false},
	{"public_at", a_public_at, false},
	{"tlp", a_tlp, false},
	{"status", NULL, false},
	{"cvss_score", NULL, false},
	{"severity", NULL, false},
	{"created_at", NULL, false},
	{"updated_at", NULL, false},
};

enum fw_err fw_advisory_from_json(const json_t *j, struct fw_advisory *out, bool update)
{
	struct fw_advisory a;
	enum fw_err r;
	if (update) {
		a = *out;
	} else {
		memset(&a, 0, sizeof a);
		a.status = FW_ADVISORY_DRAFT;
		a.tlp = FW_TLP_AMBER;
	}
	if ((r = apply(j, advisory_fields, sizeof advisory_fields / sizeof advisory_fields[0], &a,
		       update)) != FW_OK)
		return r;
	*out = a;
	return FW_OK;
}
