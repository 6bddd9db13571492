package mysql

import (
	"context"
	"fmt"
	"strings"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
)

// CreateSchema creates the Storage's tables where they do not exist yet:
// the driver never creates anything on its own. Run it at deployment or
// start-up as a user allowed to create tables; running it again, or from
// several processes at once, changes nothing (CREATE TABLE IF NOT EXISTS;
// MySQL's DDL is not transactional, each statement commits on its own).
// In LuaTables mode it creates lua-resty-session's tables (section 9 of
// the contract: its README's DDL) with one addition, COLLATE ascii_bin, so
// that keys, audiences and subjects compare byte for byte (see the package
// documentation); tables made by Lua's own DDL are left as they are. The
// database named in Table must exist.
func (s *Storage) CreateSchema(ctx context.Context) error {
	if err := s.core.Enter("create schema"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mysql: create schema: %w", err)
	}
	stmts := schemaStatements(s.core.Layout)
	_, err := s.exec(ctx, "create schema", query{Stmt: sqlstore.Stmt{SQL: strings.Join(stmts, "; ")}}, nil)
	return err
}

// SchemaSQL returns the statements CreateSchema runs for cfg's tables,
// separated by ";\n", for migration tools and DBAs. Only cfg's Mode,
// Table, TableMeta and the database (Database, or the DSN's) matter; an
// invalid one is an error matching ErrConfig.
func SchemaSQL(cfg Config) (string, error) {
	set, err := cfg.settings()
	if err != nil {
		return "", err
	}
	return strings.Join(schemaStatements(set.layout), ";\n") + ";\n", nil
}

// schemaStatements returns the DDL of l's tables. Names are quoted;
// nothing else varies.
func schemaStatements(l sqlstore.Layout) []string {
	s, m := l.Sessions.Quoted(ownDialect), l.Meta.Quoted(ownDialect)
	if l.Mode == sqlstore.LuaTables {
		// lua-resty-session's README, table names substituted, plus
		// COLLATE ascii_bin and ENGINE=InnoDB (the foreign key needs it;
		// it is every server's default).
		return []string{
			"CREATE TABLE IF NOT EXISTS " + s + " (sid CHAR(43) PRIMARY KEY, name VARCHAR(255), data MEDIUMTEXT, exp DATETIME, INDEX (exp))" +
				" CHARACTER SET ascii COLLATE ascii_bin ENGINE=InnoDB",
			"CREATE TABLE IF NOT EXISTS " + m + " (aud VARCHAR(255), sub VARCHAR(255), sid CHAR(43), PRIMARY KEY (aud, sub, sid)," +
				" CONSTRAINT FOREIGN KEY (sid) REFERENCES " + s + " (sid) ON DELETE CASCADE ON UPDATE CASCADE)" +
				" CHARACTER SET ascii COLLATE ascii_bin ENGINE=InnoDB",
		}
	}
	// Binary columns: any name and key, compared byte for byte; exp in
	// Unix seconds: no time zone, no daylight saving, no year 2038. The
	// index table's foreign key cascades a session's deletion (by Delete
	// or the sweeper) to its index rows, through the (name, sid) index.
	return []string{
		"CREATE TABLE IF NOT EXISTS " + s + " (name VARBINARY(255) NOT NULL, sid VARBINARY(512) NOT NULL," +
			" data MEDIUMBLOB NOT NULL, exp BIGINT NOT NULL, PRIMARY KEY (name, sid), INDEX exp (exp)) ENGINE=InnoDB",
		"CREATE TABLE IF NOT EXISTS " + m + " (name VARBINARY(255) NOT NULL, aud VARBINARY(512) NOT NULL," +
			" sub VARBINARY(512) NOT NULL, sid VARBINARY(512) NOT NULL, PRIMARY KEY (name, aud, sub, sid)," +
			" INDEX name_sid (name, sid)," +
			" FOREIGN KEY (name, sid) REFERENCES " + s + " (name, sid) ON DELETE CASCADE ON UPDATE CASCADE) ENGINE=InnoDB",
	}
}
