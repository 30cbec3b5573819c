/* See fixture.h. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

bool fw_test_is_pg_url(const char *s)
{
	return s && (strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0);
}

const char *fw_test_pg_url(void)
{
	const char *pg = getenv("FW_TEST_PG_URL");
	if (pg && *pg)
		return pg;
	pg = getenv("FW_TEST_DB");
	return fw_test_is_pg_url(pg) ? pg : NULL;
}

bool fw_test_db_new(struct fw_test_db *db, const char *pg_url, const char *tag)
{
	static unsigned seq;
	memset(db, 0, sizeof *db);
	if (pg_url) {
		snprintf(db->url, sizeof db->url, "%s%coptions=-csearch_path%%3D%s_%lld_%ld_%u", pg_url,
			 strchr(pg_url, '?') ? '&' : '?', tag, (long long)time(NULL), (long)getpid(), ++seq);
		return true;
	}
	snprintf(db->dir, sizeof db->dir, "/tmp/fw-%s-XXXXXX", tag);
	if (!mkdtemp(db->dir))
		return false;
	snprintf(db->url, sizeof db->url, "sqlite:%s/db", db->dir);
	return true;
}

void fw_test_db_remove(struct fw_test_db *db)
{
	if (!db->dir[0])
		return;
	DIR *d = opendir(db->dir);
	struct dirent *e;
	char path[600];
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			snprintf(path, sizeof path, "%s/%s", db->dir, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(db->dir);
	db->dir[0] = '\0';
}
