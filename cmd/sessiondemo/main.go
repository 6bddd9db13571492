// Command sessiondemo is a small web app on the sessionstore library: log in,
// watch the session id rotate with a stale grace period, list your sessions,
// log out everywhere. Run it and follow what it prints:
//
//	go run ./cmd/sessiondemo                 # memory driver, http://127.0.0.1:8080
//	go run ./cmd/sessiondemo -walkthrough    # no browser: prints each step and exits
//	go run ./cmd/sessiondemo -store memcached -memcached-servers 127.0.0.1:11211 -trace
//
// Every flag has an environment variable: SESSIONDEMO_ADDR, SESSIONDEMO_STORE,
// SESSIONDEMO_MEMCACHED_SERVERS, SESSIONDEMO_TRACE=1, SESSIONDEMO_TTL,
// SESSIONDEMO_ROTATE_EVERY, SESSIONDEMO_STALE_TTL, SESSIONDEMO_SECURE=1. A
// flag wins over its variable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/sessionstore/sessionstore/cmd/sessiondemo/internal/app"
	"github.com/sessionstore/sessionstore/tracing"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type options struct {
	addr, store, servers       string
	trace, secure, walkthrough bool
	ttl, rotateEvery, staleTTL time.Duration
}

// parse reads the flags, with defaults taken from the environment.
func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	// envErrs holds the malformed environment variables by flag name: one
	// whose flag is given on the command line does not matter.
	envErrs := map[string]error{}
	str := func(env, def string) string {
		if v := getenv(env); v != "" {
			return v
		}
		return def
	}
	dur := func(flagName, env string, def time.Duration) time.Duration {
		v := getenv(env)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			envErrs[flagName] = fmt.Errorf("%s: %w", env, err)
		}
		return d
	}
	boolean := func(flagName, env string) bool {
		v := getenv(env)
		if v == "" {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			envErrs[flagName] = fmt.Errorf("%s: %w", env, err)
		}
		return b
	}
	fs := flag.NewFlagSet("sessiondemo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", str("SESSIONDEMO_ADDR", "127.0.0.1:8080"), "listen address (env SESSIONDEMO_ADDR)")
	fs.StringVar(&o.store, "store", str("SESSIONDEMO_STORE", "memory"), "session store: memory or memcached (env SESSIONDEMO_STORE)")
	fs.StringVar(&o.servers, "memcached-servers", str("SESSIONDEMO_MEMCACHED_SERVERS", ""), `memcached servers "host:port,host:port"; default 127.0.0.1:11211 (env SESSIONDEMO_MEMCACHED_SERVERS)`)
	fs.BoolVar(&o.trace, "trace", boolean("trace", "SESSIONDEMO_TRACE"), "print an OpenTelemetry span per storage call to stdout (env SESSIONDEMO_TRACE=1)")
	fs.BoolVar(&o.secure, "secure", boolean("secure", "SESSIONDEMO_SECURE"), "Secure __Host- cookies on plain HTTP, behind a TLS proxy (env SESSIONDEMO_SECURE=1)")
	fs.DurationVar(&o.ttl, "ttl", dur("ttl", "SESSIONDEMO_TTL", app.DefaultTTL), "session lifetime after its last rotation (env SESSIONDEMO_TTL)")
	fs.DurationVar(&o.rotateEvery, "rotate-every", dur("rotate-every", "SESSIONDEMO_ROTATE_EVERY", app.DefaultRotateEvery), "rotate the session id when it is this old (env SESSIONDEMO_ROTATE_EVERY)")
	fs.DurationVar(&o.staleTTL, "stale-ttl", dur("stale-ttl", "SESSIONDEMO_STALE_TTL", app.DefaultStaleTTL), "grace period of a rotated-away id (env SESSIONDEMO_STALE_TTL)")
	fs.BoolVar(&o.walkthrough, "walkthrough", false, "store, rotate, list and revoke sessions in memory, print each step, exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	fs.Visit(func(f *flag.Flag) { delete(envErrs, f.Name) })
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(envErrs)) {
		errs = append(errs, envErrs[name])
	}
	if err := errors.Join(errs...); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.ttl <= 0 || o.rotateEvery <= 0 || o.staleTTL <= 0 {
		return o, errors.New("-ttl, -rotate-every and -stale-ttl must be positive")
	}
	return o, nil
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, err := parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "sessiondemo:", err)
		return 2
	}
	if o.walkthrough {
		if err := app.Walkthrough(ctx, stdout); err != nil {
			fmt.Fprintln(stderr, "sessiondemo: walkthrough:", err)
			return 1
		}
		return 0
	}
	if err := serve(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "sessiondemo:", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, o options, stdout, stderr io.Writer) (err error) {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	driver, err := openStore(o)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, driver.Close()) }()
	store := driver

	var tp trace.TracerProvider
	if o.trace {
		exp, err := stdouttrace.New(stdouttrace.WithWriter(stdout))
		if err != nil {
			return err
		}
		res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", "sessiondemo")))
		if err != nil {
			return err
		}
		sdk := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
		tp = sdk
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			err = errors.Join(err, sdk.Shutdown(sctx))
		}()
		// The wrapper's Close would close the driver too; the deferred
		// driver.Close above does it once.
		store = tracing.New(driver, tracing.WithTracerProvider(tp))
	}

	a, err := app.New(app.Config{
		Store:       store,
		TTL:         o.ttl,
		RotateEvery: o.rotateEvery,
		StaleTTL:    o.staleTTL,
		Secure:      o.secure,
		Logger:      logger,
	})
	if err != nil {
		return err
	}
	var handler http.Handler = a
	if tp != nil {
		// A server span per request, so each storage span has a parent that
		// says which request made it. Cookies are not recorded.
		handler = otelhttp.NewHandler(a, "sessiondemo", otelhttp.WithTracerProvider(tp))
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	printBanner(stdout, o, urlFor(ln.Addr()))

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "sessiondemo: shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// urlFor turns a listen address into a URL a browser on this machine can open.
func urlFor(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func printBanner(w io.Writer, o options, url string) {
	fmt.Fprintf(w, "sessiondemo: listening on %s (store %s; ttl %v, rotate every %v, stale grace %v)\n",
		url, o.store, o.ttl, o.rotateEvery, o.staleTTL)
	fmt.Fprintf(w, "Open %s/ in a browser, or with curl:\n", url)
	fmt.Fprintf(w, "  curl -c jar.txt -b jar.txt -d user=alice %s/login\n", url)
	fmt.Fprintf(w, "  curl -c jar.txt -b jar.txt -H 'Accept: application/json' %s/sessions\n", url)
	fmt.Fprintf(w, "  curl -c jar.txt -b jar.txt -X POST %s/logout-everywhere\n", url)
	fmt.Fprintln(w, "Stop with Ctrl-C.")
}
