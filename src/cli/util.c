/* Small pure helpers: input checks, media types, the trusted comment. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"

bool fw_cli_is_slug(const char *s)
{
	if (!s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return n <= FW_CLI_SLUG_MAX;
}

bool fw_cli_is_kind(const char *s)
{
	static const char *const kinds[] = {"summary",    "description", "detection",
					    "indicators", "mitigation",  "poc"};
	for (size_t i = 0; s && i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(s, kinds[i]) == 0)
			return true;
	return false;
}

const char *fw_cli_guess_media_type(const char *path)
{
	static const struct {
		const char *ext;
		const char *type;
	} types[] = {
		{".md", "text/markdown"}, {".markdown", "text/markdown"}, {".json", "application/json"},
		{".txt", "text/plain"},   {".text", "text/plain"},
	};
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	if (!dot || dot == base)
		return "text/plain";
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcasecmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

enum fw_err fw_cli_parse_int(const char *s, long long min, long long max, long long *out)
{
	if (!s || !*s || !((*s >= '0' && *s <= '9') || *s == '-'))
		return fw_err_set(FW_ERR_INVALID, "\"%.40s\" is not a whole number", s ? s : "");
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return fw_err_set(FW_ERR_INVALID, "\"%.40s\" is not a whole number", s);
	if (v < min || v > max)
		return fw_err_set(FW_ERR_INVALID, "%lld is out of range (%lld to %lld)", v, min, max);
	*out = v;
	return FW_OK;
}

/* --- trusted comment -------------------------------------------------------- */

enum tc_field { TC_ADVISORY, TC_KIND, TC_VERSION, TC_MEMBER, TC_SHA256, TC_COUNT };
static const char *const tc_names[TC_COUNT] = {"advisory", "kind", "version", "member", "sha256"};

static bool is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

static enum fw_err tc_set(struct fw_cli_tc *t, enum tc_field f, const char *v, size_t n)
{
	char tmp[80];
	if (n >= sizeof tmp)
		return fw_err_set(FW_ERR_INVALID, "trusted comment: %s is too long", tc_names[f]);
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	long long num = 0;
	switch (f) {
	case TC_ADVISORY:
	case TC_KIND:
	case TC_MEMBER:
		if (!fw_cli_is_slug(tmp))
			return fw_err_set(FW_ERR_INVALID, "trusted comment: bad %s", tc_names[f]);
		memcpy(f == TC_ADVISORY ? t->advisory : f == TC_KIND ? t->kind : t->member, tmp, n + 1);
		return FW_OK;
	case TC_VERSION:
		if (fw_cli_parse_int(tmp, 1, INT32_MAX, &num) != FW_OK || tmp[0] == '-')
			return fw_err_set(FW_ERR_INVALID, "trusted comment: bad version");
		t->version = num;
		return FW_OK;
	case TC_SHA256:
		if (!is_hex64(tmp, n))
			return fw_err_set(FW_ERR_INVALID, "trusted comment: bad sha256");
		for (size_t i = 0; i <= n; i++)
			t->sha256[i] = (char)(tmp[i] >= 'A' && tmp[i] <= 'F' ? tmp[i] - 'A' + 'a' : tmp[i]);
		return FW_OK;
	case TC_COUNT:
		break;
	}
	return FW_ERR_INTERNAL;
}

enum fw_err fw_cli_tc_parse(const char *tc, struct fw_cli_tc *out)
{
	struct fw_cli_tc t;
	bool seen[TC_COUNT] = {false};
	enum fw_err r;
	memset(&t, 0, sizeof t);
	if (!tc || strncmp(tc, "forewarn ", 9) != 0)
		return fw_err_set(FW_ERR_INVALID, "trusted comment does not start with \"forewarn \"");
	const char *p = tc + 9;
	while (*p) {
		if (*p == ' ') {
			p++;
			continue;
		}
		size_t len = strcspn(p, " ");
		const char *eq = memchr(p, '=', len);
		if (!eq)
			return fw_err_set(FW_ERR_INVALID, "trusted comment: \"%.*s\" is not key=value",
					  (int)(len > 40 ? 40 : len), p);
		size_t klen = (size_t)(eq - p);
		for (int f = 0; f < TC_COUNT; f++) {
			if (strlen(tc_names[f]) != klen || strncmp(tc_names[f], p, klen) != 0)
				continue;
			if (seen[f])
				return fw_err_set(FW_ERR_INVALID, "trusted comment: %s given twice", tc_names[f]);
			seen[f] = true;
			if ((r = tc_set(&t, (enum tc_field)f, eq + 1, len - klen - 1)) != FW_OK)
				return r;
		}
		p += len;
	}
	for (int f = 0; f < TC_COUNT; f++)
		if (!seen[f])
			return fw_err_set(FW_ERR_INVALID, "trusted comment: no %s", tc_names[f]);
	*out = t;
	return FW_OK;
}
