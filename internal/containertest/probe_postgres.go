package containertest

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// PostgresProbe returns a probe that logs in to PostgreSQL as user on database (protocol 3,
// no TLS, trust authentication as in the local image; a server asking for a password is
// reported, not answered) and runs SELECT 1. "The database system is starting up" and
// similar refusals are its errors until the server accepts queries.
func PostgresProbe(user, database string) ProbeFunc {
	return func(ctx context.Context, addr string) error {
		conn, err := dial(ctx, addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		pc := pgConn{r: bufio.NewReader(conn), w: conn}
		if err := pc.startup(user, database); err != nil {
			return err
		}
		return pc.selectOne()
	}
}

type pgConn struct {
	r *bufio.Reader
	w io.Writer
}

// startup sends the StartupMessage and reads up to ReadyForQuery.
func (c pgConn) startup(user, database string) error {
	var body []byte
	body = binary.BigEndian.AppendUint32(body, 196608) // protocol 3.0
	for _, kv := range [][2]string{{"user", user}, {"database", database}} {
		body = append(body, kv[0]...)
		body = append(body, 0)
		body = append(body, kv[1]...)
		body = append(body, 0)
	}
	body = append(body, 0)
	msg := binary.BigEndian.AppendUint32(nil, uint32(4+len(body)))
	if _, err := c.w.Write(append(msg, body...)); err != nil {
		return err
	}
	for {
		typ, payload, err := c.read()
		if err != nil {
			return err
		}
		switch typ {
		case 'R':
			if len(payload) < 4 {
				return errors.New("postgres: short authentication message")
			}
			if code := binary.BigEndian.Uint32(payload); code != 0 {
				return fmt.Errorf("postgres: server asks for authentication (method %d), trust expected", code)
			}
		case 'E':
			return pgError(payload)
		case 'Z':
			return nil
		}
	}
}

// selectOne runs SELECT 1 with the simple query protocol and checks the one value.
func (c pgConn) selectOne() error {
	const query = "SELECT 1"
	msg := []byte{'Q'}
	msg = binary.BigEndian.AppendUint32(msg, uint32(4+len(query)+1))
	msg = append(append(msg, query...), 0)
	if _, err := c.w.Write(msg); err != nil {
		return err
	}
	var value string
	for {
		typ, payload, err := c.read()
		if err != nil {
			return err
		}
		switch typ {
		case 'D': // DataRow: int16 columns, then int32 length + bytes per column
			if len(payload) >= 6 && binary.BigEndian.Uint16(payload) == 1 {
				n := int(int32(binary.BigEndian.Uint32(payload[2:])))
				if n >= 0 && 6+n <= len(payload) {
					value = string(payload[6 : 6+n])
				}
			}
		case 'E':
			return pgError(payload)
		case 'Z':
			if value != "1" {
				return fmt.Errorf("postgres: SELECT 1 returned %q", value)
			}
			return nil
		}
	}
}

// read reads one backend message: type byte, int32 length (itself included), payload.
func (c pgConn) read() (byte, []byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(c.r, head[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(head[1:]))
	if n < 4 || n > 1<<20 {
		return 0, nil, fmt.Errorf("postgres: implausible message length %d (type %q)", n, head[0])
	}
	payload := make([]byte, n-4)
	if _, err := io.ReadFull(c.r, payload); err != nil {
		return 0, nil, err
	}
	return head[0], payload, nil
}

// pgError turns an ErrorResponse's fields into an error: severity, code, message.
func pgError(payload []byte) error {
	fields := map[byte]string{}
	for len(payload) > 1 {
		typ := payload[0]
		end := strings.IndexByte(string(payload[1:]), 0)
		if end < 0 {
			break
		}
		fields[typ] = string(payload[1 : 1+end])
		payload = payload[2+end:]
	}
	return fmt.Errorf("postgres: %s %s: %s", fields['S'], fields['C'], fields['M'])
}
