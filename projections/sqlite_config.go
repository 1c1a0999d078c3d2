package projections

/*
extern int sqlite3_config(int, ...);

// SQLITE_CONFIG_MEMSTATUS is 9: sqlite3_config takes variable arguments, which Go cannot pass.
static int memstatus_off(void) { return sqlite3_config(9, 0); }
*/
import "C"

// memstatusOff is the result code of turning off SQLite's count of the memory it allocates:
// 0 (SQLITE_OK) once done.
//
// SQLite counts every allocation and free it makes under a mutex of the whole process, for
// sqlite3_memory_used and its like, which nothing in takt reads: 3 % of a rebuild's CPU went to
// locking and unlocking it (docs/performance.md). The count can only be turned off before SQLite
// initializes itself, at the first connection opened, so it is done as the package is initialized:
// no connection is opened before then. Should it fail, SQLite counts as before.
var memstatusOff = int(C.memstatus_off())
