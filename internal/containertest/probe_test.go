package containertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/internal/containertest/fake"
)

func probeCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRequestProbe(t *testing.T) {
	ctx := probeCtx(t)
	version := RequestProbe("version\r\n", "VERSION ")
	require.NoError(t, version(ctx, fake.ReplyServer(t, "VERSION 1.6.18\r\n")))
	require.ErrorContains(t, version(ctx, fake.ReplyServer(t, "ERROR\r\n")), "unexpected answer")
	require.Error(t, version(ctx, fake.ReplyServer(t, "")), "a connection closed without answer is not ready")
	require.Error(t, version(ctx, fake.ClosedAddr(t)), "nothing listening")

	ping := RequestProbe("PING\r\n", "+PONG")
	err := ping(ctx, fake.ReplyServer(t, "-DENIED Redis is running in protected mode\r\n"))
	require.ErrorContains(t, err, "DENIED", "the server's refusal is in the error")
}

func TestRequestProbeHonoursDeadline(t *testing.T) {
	silent := fake.Server(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) }) // reads, never answers
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := RequestProbe("PING\r\n", "+PONG")(ctx, silent)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 2*time.Second, "the probe gives up at ctx's deadline")
}

func TestDialProbe(t *testing.T) {
	ctx := probeCtx(t)
	require.NoError(t, DialProbe()(ctx, fake.ReplyServer(t, "")))
	require.Error(t, DialProbe()(ctx, fake.ClosedAddr(t)))
}

// pgMsg frames a PostgreSQL backend message.
func pgMsg(typ byte, payload []byte) []byte {
	m := []byte{typ}
	m = binary.BigEndian.AppendUint32(m, uint32(4+len(payload)))
	return append(m, payload...)
}

// pgServer reads the startup message and answers with startup; then reads the query and
// answers with query.
func pgServer(t *testing.T, startup, query []byte) string {
	return fake.Server(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		var n uint32
		if binary.Read(r, binary.BigEndian, &n) != nil || n < 4 {
			return
		}
		msg := make([]byte, n-4)
		if _, err := io.ReadFull(r, msg); err != nil || binary.BigEndian.Uint32(msg) != 196608 {
			return
		}
		if !bytes.Contains(msg, []byte("user\x00postgres\x00database\x00postgres\x00")) {
			return
		}
		_, _ = c.Write(startup)
		if query == nil {
			return
		}
		head := make([]byte, 5)
		if _, err := io.ReadFull(r, head); err != nil || head[0] != 'Q' {
			return
		}
		body := make([]byte, binary.BigEndian.Uint32(head[1:])-4)
		if _, err := io.ReadFull(r, body); err != nil || string(body) != "SELECT 1\x00" {
			return
		}
		_, _ = c.Write(query)
	})
}

func TestPostgresProbe(t *testing.T) {
	ctx := probeCtx(t)
	probe := PostgresProbe("postgres", "postgres")
	authOK := pgMsg('R', []byte{0, 0, 0, 0})
	ready := pgMsg('Z', []byte{'I'})
	startup := bytes.Join([][]byte{authOK, pgMsg('S', []byte("server_version\x0015\x00")), pgMsg('K', make([]byte, 8)), ready}, nil)
	row := func(v string) []byte {
		p := binary.BigEndian.AppendUint16(nil, 1)
		p = binary.BigEndian.AppendUint32(p, uint32(len(v)))
		return pgMsg('D', append(p, v...))
	}
	result := func(v string) []byte {
		return bytes.Join([][]byte{pgMsg('T', []byte("stub")), row(v), pgMsg('C', []byte("SELECT 1\x00")), ready}, nil)
	}
	errorResponse := pgMsg('E', []byte("SFATAL\x00C57P03\x00Mthe database system is starting up\x00\x00"))

	require.NoError(t, probe(ctx, pgServer(t, startup, result("1"))))
	require.ErrorContains(t, probe(ctx, pgServer(t, startup, result("2"))), `returned "2"`)
	require.ErrorContains(t, probe(ctx, pgServer(t, errorResponse, nil)), "starting up")
	require.ErrorContains(t, probe(ctx, pgServer(t, pgMsg('R', []byte{0, 0, 0, 5, 1, 2, 3, 4}), nil)), "authentication (method 5)")
	require.Error(t, probe(ctx, pgServer(t, authOK, nil)), "a connection closed before ReadyForQuery is not ready")
	require.Error(t, probe(ctx, fake.ClosedAddr(t)))
}

// mysqlPkt frames a MySQL packet.
func mysqlPkt(seq byte, payload []byte) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
}

func mysqlGreeting(plugin string) []byte {
	p := append([]byte{10}, "10.11.19-MariaDB\x00"...)
	p = append(p, 1, 0, 0, 0)                           // connection id
	p = append(p, "abcdefgh"...)                        // scramble part 1
	p = append(p, 0)                                    // filler
	p = append(p, 0xff, 0xf7, 45, 2, 0, 0xff, 0x81, 21) // capabilities, charset, status, capabilities, scramble length
	p = append(p, make([]byte, 10)...)                  // reserved
	p = append(p, "ijklmnopqrst\x00"...)                // scramble part 2
	return append(p, plugin+"\x00"...)
}

// mysqlServer sends greeting, reads the login and answers loginReply; then reads one
// command and answers queryReply.
func mysqlServer(t *testing.T, greeting []byte, loginReply, queryReply []byte, gotLogin chan<- []byte) string {
	return fake.Server(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		readPkt := func() []byte {
			head := make([]byte, 4)
			if _, err := io.ReadFull(r, head); err != nil {
				return nil
			}
			p := make([]byte, int(head[0])|int(head[1])<<8|int(head[2])<<16)
			if _, err := io.ReadFull(r, p); err != nil {
				return nil
			}
			return p
		}
		_, _ = c.Write(mysqlPkt(0, greeting))
		login := readPkt()
		if gotLogin != nil {
			gotLogin <- login
		}
		_, _ = c.Write(loginReply)
		if queryReply == nil || !bytes.Equal(readPkt(), []byte("\x03SELECT 1")) {
			return
		}
		_, _ = c.Write(queryReply)
	})
}

func TestMySQLProbe(t *testing.T) {
	ctx := probeCtx(t)
	ok := mysqlPkt(2, []byte{0, 0, 0, 2, 0, 0, 0})
	eof := []byte{0xfe, 0, 0, 2, 0}
	result := func(v string) []byte {
		return bytes.Join([][]byte{
			mysqlPkt(1, []byte{1}), mysqlPkt(2, []byte("\x03def\x00\x00\x00\x011\x00\x0c\x3f\x00\x01\x00\x00\x00\x08\x81\x00\x00\x00\x00")),
			mysqlPkt(3, eof), mysqlPkt(4, append([]byte{byte(len(v))}, v...)), mysqlPkt(5, eof),
		}, nil)
	}

	logins := make(chan []byte, 1)
	require.NoError(t, MySQLProbe("root", "", "")(ctx, mysqlServer(t, mysqlGreeting("mysql_native_password"), ok, result("1"), logins)))
	login := <-logins
	assert.Contains(t, string(login), "root\x00\x00mysql_native_password\x00", "user, empty auth response, plugin")

	require.NoError(t, MySQLProbe("test", "test", "test")(ctx, mysqlServer(t, mysqlGreeting("mysql_native_password"), ok, result("1"), logins)))
	login = <-logins
	want := nativePassword("test", []byte("abcdefghijklmnopqrst"))
	assert.Len(t, want, 20)
	assert.Contains(t, string(login), "test\x00\x14"+string(want)+"test\x00mysql_native_password\x00", "scrambled password and database")

	require.ErrorContains(t, MySQLProbe("root", "", "")(ctx, mysqlServer(t, mysqlGreeting("mysql_native_password"), ok, result("0"), nil)), `returned "0"`)
	denied := mysqlPkt(2, append([]byte{0xff, 0x15, 0x04}, "#28000Access denied for user 'x'@'172.17.0.1'"...))
	require.ErrorContains(t, MySQLProbe("x", "y", "")(ctx, mysqlServer(t, mysqlGreeting("mysql_native_password"), denied, nil, nil)), "error 1045: Access denied")
	tooMany := append([]byte{0xff, 0x10, 0x04}, "Too many connections"...)
	require.ErrorContains(t, MySQLProbe("root", "", "")(ctx, fake.Server(t, func(c net.Conn) { _, _ = c.Write(mysqlPkt(0, tooMany)) })), "Too many connections")
	switchToSHA := mysqlPkt(2, []byte("\xfecaching_sha2_password\x00seed\x00"))
	require.ErrorContains(t, MySQLProbe("root", "", "")(ctx, mysqlServer(t, mysqlGreeting("caching_sha2_password"), switchToSHA, nil, nil)), "caching_sha2_password")
	require.Error(t, MySQLProbe("root", "", "")(ctx, fake.ClosedAddr(t)))
}

func TestNativePassword(t *testing.T) {
	assert.Nil(t, nativePassword("", []byte("seed")), "an empty password sends an empty answer")
	a := nativePassword("pw", []byte("abcdefghijklmnopqrst"))
	b := nativePassword("pw", []byte("tsrqponmlkjihgfedcba"))
	assert.Len(t, a, 20)
	assert.NotEqual(t, a, b, "the answer depends on the server's scramble")
}
