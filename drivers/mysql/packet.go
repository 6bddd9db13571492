package mysql

import (
	"context"
	"strconv"

	"github.com/sessionstore/sessionstore/session"
)

// The server refuses a query longer than its max_allowed_packet, and the
// connection with it (ER_NET_PACKET_TOO_LARGE). Every value travels inside
// its query, escaped, so a value near the data column's 16 MiB needs a
// max_allowed_packet above that: MariaDB's default is 16 MiB, MySQL 8's
// 64 MiB. A write the server would refuse is refused here first, with the
// server's limit in the error (contract 2.21): the Storage learns
// max_allowed_packet from the server the first time a query could come
// near it, and again after the server refused one.
const (
	// smallQuery is the query size below which the limit is not checked:
	// no server runs with a max_allowed_packet below 1 MiB by default.
	smallQuery = 1 << 20
	// queryOverhead covers what a query holds besides the value and its
	// statement text: names, keys, pairs and numbers, escaped.
	queryOverhead = 8 << 10
)

// escapedLen is the length of v as go-sql-driver writes it into a query
// (_binary'…', seven bytes escaped with a backslash).
func escapedLen(v []byte) int {
	n := len(v) + len("_binary''")
	for _, c := range v {
		switch c {
		case 0, '\n', '\r', 0x1a, '\'', '"', '\\':
			n++
		}
	}
	return n
}

// checkPacket refuses a Set whose query would exceed the server's
// max_allowed_packet.
func (s *Storage) checkPacket(ctx context.Context, q query, value []byte) error {
	if len(value) < smallQuery/2 {
		return nil // even escaped in full, well below smallQuery with its statement
	}
	need := len(q.SQL) + queryOverhead + escapedLen(value)
	if need <= smallQuery {
		return nil
	}
	limit := s.maxPacket.Load()
	if limit == 0 {
		var n int64
		if err := s.db.QueryRowContext(ctx, "SELECT @@max_allowed_packet").Scan(&n); err != nil {
			return s.core.CallError(ctx, "set", classify(ctx, err))
		}
		s.maxPacket.Store(n)
		limit = n
	}
	if int64(need) <= limit {
		return nil
	}
	fit := int(limit) - (need - escapedLen(value)) - len("_binary''")
	return &session.ArgumentError{
		Arg:    "value",
		Reason: "too large for the server's max_allowed_packet (" + strconv.FormatInt(limit, 10) + " bytes) once escaped into its query",
		Limit:  max(fit, 1),
	}
}

// forgetPacketLimit makes the next large Set learn max_allowed_packet
// again, after the server refused a query as too large (its limit was
// lowered).
func (s *Storage) forgetPacketLimit(err error) {
	if serverNumber(err) == erNetPacketTooLarge {
		s.maxPacket.Store(0)
	}
}
