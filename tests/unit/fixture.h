/* Shared by the unit tests (linked into each): a new, empty database for
 * one test, on SQLite or on PostgreSQL. */
#ifndef FW_TESTS_UNIT_FIXTURE_H
#define FW_TESTS_UNIT_FIXTURE_H

#include <stdbool.h>

#define FW_TEST_URL_BYTES 1200

struct fw_test_db {
	char dir[64];                /* SQLite: the test's directory; "" on PostgreSQL */
	char url[FW_TEST_URL_BYTES]; /* what fw_store_open takes */
};

/* Whether s is a PostgreSQL URL (postgresql:// or postgres://). */
bool fw_test_is_pg_url(const char *s);
/* The PostgreSQL database the tests that run on both backends use:
 * FW_TEST_PG_URL, else FW_TEST_DB when it is a PostgreSQL URL; NULL when
 * there is none (those tests then skip their PostgreSQL half). */
const char *fw_test_pg_url(void);
/* pg_url NULL: a SQLite file in a new directory /tmp/fw-<tag>-XXXXXX; else
 * a new schema <tag>_<time>_<pid>_<n> of that database (the store creates
 * the schema its search_path names). False when the directory cannot be
 * made. */
bool fw_test_db_new(struct fw_test_db *db, const char *pg_url, const char *tag);
/* Removes the SQLite directory and its files; nothing on PostgreSQL (the
 * test cluster is thrown away whole). */
void fw_test_db_remove(struct fw_test_db *db);

#endif
