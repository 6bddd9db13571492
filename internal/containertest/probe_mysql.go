package containertest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MySQLProbe returns a probe that logs in to MariaDB (or MySQL with mysql_native_password)
// as user with password, on database when not empty, and runs SELECT 1. The server's first
// packet alone would show that it listens; the login shows that its grants are loaded.
func MySQLProbe(user, password, database string) ProbeFunc {
	return func(ctx context.Context, addr string) error {
		conn, err := dial(ctx, addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		mc := mysqlConn{r: bufio.NewReader(conn), w: conn}
		if err := mc.login(user, password, database); err != nil {
			return err
		}
		return mc.selectOne()
	}
}

// Capability flags of the client/server protocol (protocol 41).
const (
	mysqlClientLongPassword     = 0x1
	mysqlClientConnectWithDB    = 0x8
	mysqlClientProtocol41       = 0x200
	mysqlClientTransactions     = 0x2000
	mysqlClientSecureConnection = 0x8000
	mysqlClientPluginAuth       = 0x80000
	mysqlNativePassword         = "mysql_native_password"
	mysqlCharsetUTF8MB4         = 45 // utf8mb4_general_ci
)

type mysqlConn struct {
	r   *bufio.Reader
	w   io.Writer
	seq byte
}

// login reads the server's handshake, answers it, follows one authentication switch to
// mysql_native_password and wants OK.
func (c *mysqlConn) login(user, password, database string) error {
	greeting, err := c.read()
	if err != nil {
		return err
	}
	seed, plugin, err := parseGreeting(greeting)
	if err != nil {
		return err
	}
	flags := uint32(mysqlClientLongPassword | mysqlClientProtocol41 | mysqlClientTransactions | mysqlClientSecureConnection | mysqlClientPluginAuth)
	if database != "" {
		flags |= mysqlClientConnectWithDB
	}
	if plugin != mysqlNativePassword {
		plugin = mysqlNativePassword // ask for it; the server switches if the account uses it
	}
	auth := nativePassword(password, seed)
	var resp []byte
	resp = binary.LittleEndian.AppendUint32(resp, flags)
	resp = binary.LittleEndian.AppendUint32(resp, 1<<24)
	resp = append(resp, mysqlCharsetUTF8MB4)
	resp = append(resp, make([]byte, 23)...)
	resp = append(append(resp, user...), 0)
	resp = append(append(resp, byte(len(auth))), auth...)
	if database != "" {
		resp = append(append(resp, database...), 0)
	}
	resp = append(append(resp, plugin...), 0)
	if err := c.write(resp); err != nil {
		return err
	}
	for range 2 { // OK, or an authentication switch and then OK
		pkt, err := c.read()
		if err != nil {
			return err
		}
		switch {
		case len(pkt) == 0:
			return errors.New("mysql: empty answer to the login")
		case pkt[0] == 0x00:
			return nil
		case pkt[0] == 0xff:
			return mysqlError(pkt)
		case pkt[0] == 0xfe: // AuthSwitchRequest: plugin name NUL, then its data
			name, data, _ := bytes.Cut(pkt[1:], []byte{0})
			if string(name) != mysqlNativePassword {
				return fmt.Errorf("mysql: server wants authentication plugin %q; the probe speaks %s only", name, mysqlNativePassword)
			}
			if err := c.write(nativePassword(password, bytes.TrimSuffix(data, []byte{0}))); err != nil {
				return err
			}
		default:
			return fmt.Errorf("mysql: unexpected answer to the login (0x%02x)", pkt[0])
		}
	}
	return errors.New("mysql: login not accepted after an authentication switch")
}

// selectOne sends COM_QUERY "SELECT 1" and reads the result set (column count, column
// definitions, EOF, rows, EOF) for the one value.
func (c *mysqlConn) selectOne() error {
	c.seq = 0
	if err := c.write(append([]byte{0x03}, "SELECT 1"...)); err != nil {
		return err
	}
	eofs, value := 0, ""
	for eofs < 2 {
		pkt, err := c.read()
		if err != nil {
			return err
		}
		switch {
		case len(pkt) > 0 && pkt[0] == 0xff:
			return mysqlError(pkt)
		case len(pkt) > 0 && pkt[0] == 0xfe && len(pkt) < 9:
			eofs++
		case eofs == 1 && len(pkt) > 1 && int(pkt[0]) == len(pkt)-1: // a row of one short string
			value = string(pkt[1:])
		}
	}
	if value != "1" {
		return fmt.Errorf("mysql: SELECT 1 returned %q", value)
	}
	return nil
}

// parseGreeting reads the scramble and authentication plugin of a protocol 10 handshake
// (an error packet instead, e.g. "Too many connections", becomes the error).
func parseGreeting(p []byte) (seed []byte, plugin string, err error) {
	if len(p) > 0 && p[0] == 0xff {
		return nil, "", mysqlError(p)
	}
	if len(p) == 0 || p[0] != 10 {
		return nil, "", errors.New("mysql: not a protocol 10 handshake")
	}
	_, rest, ok := bytes.Cut(p[1:], []byte{0}) // server version
	// connection id (4), scramble part 1 (8), filler (1), capabilities (2), charset (1),
	// status (2), capabilities (2), scramble length (1), reserved (10): 31 bytes
	if !ok || len(rest) < 31 {
		return nil, "", errors.New("mysql: short handshake")
	}
	seed = append(seed, rest[4:12]...)
	rest = rest[31:]
	part2, rest, _ := bytes.Cut(rest, []byte{0})
	seed = append(seed, part2...)
	name, _, _ := bytes.Cut(rest, []byte{0})
	return seed, string(name), nil
}

// nativePassword is mysql_native_password's answer:
// SHA1(password) XOR SHA1(seed + SHA1(SHA1(password))); empty for an empty password.
func nativePassword(password string, seed []byte) []byte {
	if password == "" {
		return nil
	}
	h1 := sha1.Sum([]byte(password))
	h2 := sha1.Sum(h1[:])
	h3 := sha1.Sum(append(append([]byte{}, seed...), h2[:]...))
	for i := range h3 {
		h3[i] ^= h1[i]
	}
	return h3[:]
}

// mysqlError turns an ERR packet (0xff, code, '#' and SQL state, message) into an error.
func mysqlError(p []byte) error {
	if len(p) < 3 {
		return errors.New("mysql: short error packet")
	}
	code := binary.LittleEndian.Uint16(p[1:])
	msg := p[3:]
	if len(msg) >= 6 && msg[0] == '#' {
		msg = msg[6:]
	}
	return fmt.Errorf("mysql: error %d: %s", code, msg)
}

// read reads one packet: 3-byte little-endian length, sequence number, payload.
func (c *mysqlConn) read() ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(c.r, head[:]); err != nil {
		return nil, err
	}
	n := int(head[0]) | int(head[1])<<8 | int(head[2])<<16
	c.seq = head[3] + 1
	p := make([]byte, n)
	if _, err := io.ReadFull(c.r, p); err != nil {
		return nil, err
	}
	return p, nil
}

func (c *mysqlConn) write(p []byte) error {
	head := []byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), c.seq}
	c.seq++
	_, err := c.w.Write(append(head, p...))
	return err
}
