/* Versioned SQL migrations, compiled in from src/store/sql/<backend>/NNNN_name.sql
 * by cmake/embed_sql.cmake. Internal to the store module. */
#ifndef FW_STORE_MIGRATE_H
#define FW_STORE_MIGRATE_H

struct fw_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct fw_migration fw_migrations_sqlite[];
extern const unsigned fw_migrations_sqlite_count;
extern const struct fw_migration fw_migrations_pg[];
extern const unsigned fw_migrations_pg_count;

#endif
