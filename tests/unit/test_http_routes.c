/* docs/api.yaml must describe exactly the routes the server has: every
 * (method, path) of the router table is in the OpenAPI file and nothing
 * else is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"

#define MAX_OPS 256

struct op {
	char method[8];
	char path[160];
};

/* Reads the paths object of an OpenAPI file: a path is a key indented by two
 * spaces under "paths:", a method a key indented by four under it. */
static size_t read_openapi(const char *file, struct op *ops)
{
	FILE *f = fopen(file, "r");
	assert_non_null(f);
	char line[1024], path[160] = "";
	bool in_paths = false;
	size_t n = 0;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "paths:", 6) == 0) {
			in_paths = true;
			continue;
		}
		if (in_paths && line[0] != ' ' && line[0] != '\n' && line[0] != '#')
			in_paths = false;
		if (!in_paths)
			continue;
		if (strncmp(line, "  /", 3) == 0) {
			char *colon = strrchr(line, ':');
			assert_non_null(colon);
			*colon = '\0';
			char *p = line + 2;
			if (*p == '\'' || *p == '"')
				p++;
			size_t l = strlen(p);
			if (l && (p[l - 1] == '\'' || p[l - 1] == '"'))
				p[l - 1] = '\0';
			snprintf(path, sizeof path, "%s", p);
			continue;
		}
		static const char *const methods[] = {"get", "post", "put", "patch", "delete"};
		for (size_t i = 0; i < 5; i++) {
			size_t ml = strlen(methods[i]);
			if (strncmp(line, "    ", 4) == 0 && line[4] != ' ' && strncmp(line + 4, methods[i], ml) == 0 &&
			    line[4 + ml] == ':') {
				assert_true(path[0] != '\0');
				assert_true(n < MAX_OPS);
				for (size_t k = 0; k <= ml; k++)
					ops[n].method[k] = (char)toupper((unsigned char)methods[i][k]);
				snprintf(ops[n].path, sizeof ops[n].path, "%s", path);
				n++;
			}
		}
	}
	fclose(f);
	return n;
}

static void test_api_yaml_matches_router(void **state)
{
	(void)state;
	const char *src = getenv("FW_SRC");
	char file[1024];
	snprintf(file, sizeof file, "%s/docs/api.yaml", src ? src : ".");
	static struct op ops[MAX_OPS];
	size_t nops = read_openapi(file, ops), nroutes;
	const struct fw_http_route_info *routes = fw_http_routes(&nroutes);
	assert_true(nroutes > 20);

	int problems = 0;
	for (size_t i = 0; i < nroutes; i++) {
		bool found = false;
		for (size_t j = 0; j < nops; j++)
			found |= strcmp(ops[j].method, routes[i].method) == 0 && strcmp(ops[j].path, routes[i].pattern) == 0;
		if (!found) {
			fprintf(stderr, "docs/api.yaml lacks %s %s\n", routes[i].method, routes[i].pattern);
			problems++;
		}
	}
	for (size_t j = 0; j < nops; j++) {
		bool found = false;
		for (size_t i = 0; i < nroutes; i++)
			found |= strcmp(ops[j].method, routes[i].method) == 0 && strcmp(ops[j].path, routes[i].pattern) == 0;
		if (!found) {
			fprintf(stderr, "docs/api.yaml has %s %s, which the server does not serve\n", ops[j].method,
				ops[j].path);
			problems++;
		}
	}
	assert_int_equal(problems, 0);
	assert_int_equal(nops, nroutes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_api_yaml_matches_router)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
