package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/session"
)

// ExampleNew shares lua-resty-session's tables with OpenResty services:
// create them once, then store, rotate and list sessions. It needs a
// running server, so it has no checked output.
func ExampleNew() {
	store, err := postgres.New(postgres.Config{
		Host:        "db.internal",
		Username:    "app",
		Password:    "secret",
		Database:    "web",
		Application: "shop",
		Mode:        postgres.LuaTables,
		Table:       "auth.sessions", // and auth.sessions_meta
		SSL:         true,
		SSLRequired: true,
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
	_, err := postgres.New(postgres.Config{ConnString: "postgres://app@db/web", Username: "other"})
	fmt.Println(errors.Is(err, postgres.ErrConfig))
	fmt.Println(err)
	_, err = postgres.New(postgres.Config{Table: "app..sessions"})
	fmt.Println(err)
	// Output:
	// true
	// postgres: invalid configuration: ConnString is given, so [Username] must be empty (set them in the connection string)
	// postgres: invalid configuration: invalid table name: Table "app..sessions": empty part (leading, trailing or double dot)
}

// ExampleSchemaSQL prints the DDL of the driver's own tables, for a
// migration tool.
func ExampleSchemaSQL() {
	ddl, err := postgres.SchemaSQL(postgres.Config{Table: "auth.sessions"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(ddl)
	// Output:
	// CREATE TABLE IF NOT EXISTS "auth"."sessions" (name TEXT NOT NULL, sid TEXT NOT NULL, data BYTEA NOT NULL, exp TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY (name, sid));
	// CREATE INDEX IF NOT EXISTS "sessions_exp_idx" ON "auth"."sessions" (exp);
	// CREATE TABLE IF NOT EXISTS "auth"."sessions_meta" (name TEXT NOT NULL, aud TEXT NOT NULL, sub TEXT NOT NULL, sid TEXT NOT NULL, PRIMARY KEY (name, aud, sub, sid), FOREIGN KEY (name, sid) REFERENCES "auth"."sessions" (name, sid) ON DELETE CASCADE ON UPDATE CASCADE);
	// CREATE INDEX IF NOT EXISTS "sessions_meta_name_sid_idx" ON "auth"."sessions_meta" (name, sid);
}

// ExampleStorage_Endpoint shows what instrumentation learns about the
// backend.
func ExampleStorage_Endpoint() {
	store, err := postgres.New(postgres.Config{Host: "db.internal", Port: 6432})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	fmt.Printf("%+v\n", store.Endpoint())
	// Output:
	// {System:postgresql Address:db.internal Port:6432}
}
