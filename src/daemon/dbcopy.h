/* forewarnd db-copy: moves a program from SQLite to PostgreSQL. */
#ifndef FW_DAEMON_DBCOPY_H
#define FW_DAEMON_DBCOPY_H

/* argv[0] is "db-copy". Returns the exit status. */
int fwd_dbcopy_main(int argc, char **argv);

#endif
