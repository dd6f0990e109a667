/* The auth service's statement table, prepared once per connection: the
 * rows are sql.def's, the SQL fragments they share are defined here. */
#include "auth.h"

#define STMT(id, ...) [id] = {__VA_ARGS__},
const db_stmt auth_sql[SQL__MAX] = {
#include "sql.def"
};
#undef STMT
