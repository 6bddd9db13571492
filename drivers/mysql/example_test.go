package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/session"
)

// ExampleNew shares lua-resty-session's tables with OpenResty services:
// create them once, then store, rotate and list sessions. It needs a
// running server, so it has no checked output.
func ExampleNew() {
	store, err := mysql.New(mysql.Config{
		Host:     "db.internal",
		Username: "app",
		Password: "secret",
		Database: "web",
		Mode:     mysql.LuaTables,
		Table:    "sessions", // and sessions_meta, in database web
		SSL:      true,
	})
	if err != nil {
		log.Fatal(err) // an invalid Config: New does not connect
	}
	defer store.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := store.CreateSchema(ctx); err != nil { // at deployment or start-up
		log.Print(err)
	}
	now := time.Now()
	md := []session.Pair{{Audience: "default", Subject: "john"}}
	oldKey, newKey := "kQ3X…43 characters…", "p9Zs…43 characters…"
	if err := store.Set(ctx, "session", newKey, []byte(`["…"]`), time.Hour, now,
		session.SetOptions{OldKey: oldKey, StaleTTL: 10 * time.Second, Metadata: md}); err != nil {
		log.Print(err)
	}
	live, err := store.ReadMetadata(ctx, "session", "default", "john", now)
	if err != nil {
		log.Print(err)
	}
	fmt.Println(len(live), "live sessions")
}

// ExampleNew_invalidConfig shows that New reports a bad configuration
// without touching the network.
func ExampleNew_invalidConfig() {
	_, err := mysql.New(mysql.Config{DSN: "app@tcp(db:3306)/web", Username: "other"})
	fmt.Println(errors.Is(err, mysql.ErrConfig))
	fmt.Println(err)
	_, err = mysql.New(mysql.Config{Table: "sessions"})
	fmt.Println(err)
	_, err = mysql.New(mysql.Config{DSN: "app@tcp(db:3306)/web?sql_mode=%27%27"})
	fmt.Println(err)
	// Output:
	// true
	// mysql: invalid configuration: DSN is given, so [Username] must be empty (set them in the DSN)
	// mysql: invalid configuration: Table "sessions" names no database, and Database is empty: write "db.sessions"
	// mysql: invalid configuration: DSN parameter sql_mode must include STRICT_ALL_TABLES or STRICT_TRANS_TABLES (the driver relies on the server refusing what does not fit)
}

// ExampleSchemaSQL prints the DDL of the driver's own tables, for a
// migration tool.
func ExampleSchemaSQL() {
	ddl, err := mysql.SchemaSQL(mysql.Config{Table: "auth.sessions"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(ddl)
	// Output:
	// CREATE TABLE IF NOT EXISTS `auth`.`sessions` (name VARBINARY(255) NOT NULL, sid VARBINARY(512) NOT NULL, data MEDIUMBLOB NOT NULL, exp BIGINT NOT NULL, PRIMARY KEY (name, sid), INDEX exp (exp)) ENGINE=InnoDB;
	// CREATE TABLE IF NOT EXISTS `auth`.`sessions_meta` (name VARBINARY(255) NOT NULL, aud VARBINARY(512) NOT NULL, sub VARBINARY(512) NOT NULL, sid VARBINARY(512) NOT NULL, PRIMARY KEY (name, aud, sub, sid), INDEX name_sid (name, sid), FOREIGN KEY (name, sid) REFERENCES `auth`.`sessions` (name, sid) ON DELETE CASCADE ON UPDATE CASCADE) ENGINE=InnoDB;
}

// ExampleStorage_Endpoint shows what instrumentation learns about the
// backend.
func ExampleStorage_Endpoint() {
	store, err := mysql.New(mysql.Config{Host: "db.internal", Port: 3307, Database: "web"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	fmt.Printf("%+v\n", store.Endpoint())
	// Output:
	// {System:mysql Address:db.internal Port:3307}
}
