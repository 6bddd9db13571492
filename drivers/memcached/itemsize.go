package memcached

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A server rejects an item larger than its item_size_max (-I) with
// "SERVER_ERROR object too large for cache", and memcached then also drops
// the item it already held under that key: a rejected overwrite logs the
// user out. So the driver learns each server's limit with "stats settings"
// and refuses an item over it before sending it (contract 2.21).
const (
	// itemOverhead is what memcached 1.6 counts against item_size_max
	// besides the key and the value: the item header (48 bytes on 64-bit
	// builds), the CAS id (8), the key's terminating NUL (1) and the value's
	// "\r\n" (2). Measured: with -I 1m and a 10-byte key, a value of
	// 1048507 bytes is stored and one of 1048508 is refused.
	itemOverhead = 48 + 8 + 1 + 2
	// casOverhead is the CAS id's part of itemOverhead, not counted by a
	// server started without CAS (-C).
	casOverhead = 8
	// minItemSizeMax is the smallest item_size_max memcached can be started
	// with: an item no larger fits every server, and needs no learning.
	minItemSizeMax = 1024
	// maxStatsLines bounds the answer read from a server (memcached 1.6
	// sends about 90 lines).
	maxStatsLines = 1000
)

// errNoSettings reports a server that does not answer "stats settings"
// with item_size_max (a proxy, say): its limit stays unknown.
var errNoSettings = errors.New("no item_size_max in the answer to stats settings")

// itemLimits is what a pool learned of its servers' item size limits.
type itemLimits struct {
	mu sync.Mutex
	m  map[*server]*itemLimit
	// learn asks a server; it returns errNoSettings (wrapped) for an answer
	// that will not change on asking again.
	learn func(ctx context.Context, srv *server) (int, error)
}

type itemLimit struct {
	known    bool
	max      int           // the largest item (key and value with itemOverhead); 0: unknown
	learning chan struct{} // closed when the ask in flight ends
}

// maxItem returns the largest item srv accepts (key, value and
// itemOverhead), asking it once; asked reports whether this call asked.
// Zero means unknown: the server did not say (it is then not asked again
// until forget), or could not be reached (asked again next time). Callers
// waiting for another caller's ask honour their own ctx.
func (l *itemLimits) maxItem(ctx context.Context, srv *server) (limit int, asked bool, err error) {
	for {
		l.mu.Lock()
		if l.m == nil {
			l.m = map[*server]*itemLimit{}
		}
		st := l.m[srv]
		if st == nil {
			st = &itemLimit{}
			l.m[srv] = st
		}
		if st.known {
			l.mu.Unlock()
			return st.max, asked, nil
		}
		if wait := st.learning; wait != nil {
			l.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return 0, asked, fmt.Errorf("stats settings: waiting for another caller: %w", ctx.Err())
			}
		}
		done := make(chan struct{})
		st.learning = done
		l.mu.Unlock()

		n, err := l.learn(ctx, srv)
		asked = true
		l.mu.Lock()
		st.learning = nil
		switch {
		case err == nil:
			st.known, st.max = true, n
		case errors.Is(err, errNoSettings):
			st.known, st.max = true, 0
		}
		limit = st.max
		l.mu.Unlock()
		close(done)
		if err := ctx.Err(); err != nil {
			return 0, asked, fmt.Errorf("stats settings: %w", err)
		}
		return limit, asked, nil
	}
}

// forget makes the next maxItem ask srv again: it refused an item that its
// learned limit allowed, so it was restarted with another -I.
func (l *itemLimits) forget(srv *server) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st := l.m[srv]; st != nil && st.learning == nil {
		st.known, st.max = false, 0
	}
}

// learnItemSizeMax asks srv for "stats settings" on a connection of its own
// from the pool's dialer (gomemcache has no stats call) and returns the
// largest item it accepts: item_size_max, plus the CAS id when CAS is off.
// A server that cannot be reached is asked again next time; one that was
// reached but did not say (an error answer, garbage, silence: a proxy) is
// reported with errNoSettings, unless ctx ended meanwhile.
func (p *pool) learnItemSizeMax(ctx context.Context, srv *server) (int, error) {
	nc, err := p.dialRaw(ctx, srv.network, srv.address)
	if err != nil {
		return 0, fmt.Errorf("stats settings: %w", err)
	}
	defer nc.Close()
	size, err := p.readItemSizeMax(ctx, nc)
	if err != nil && !errors.Is(err, errNoSettings) && ctx.Err() == nil {
		err = fmt.Errorf("%w: %w", errNoSettings, err)
	}
	return size, err
}

// readItemSizeMax sends "stats settings" on nc and reads the answer.
func (p *pool) readItemSizeMax(ctx context.Context, nc net.Conn) (int, error) {
	deadline := time.Now().Add(p.set.SendTimeout + p.set.ReadTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := nc.SetDeadline(deadline); err != nil {
		return 0, fmt.Errorf("stats settings: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(aLongTimeAgo) })
	defer stop()

	if _, err := nc.Write([]byte("stats settings\r\n")); err != nil {
		return 0, fmt.Errorf("stats settings: %w", err)
	}
	r := bufio.NewReaderSize(nc, 512)
	size, cas := 0, true
	for range maxStatsLines {
		line, err := r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return 0, fmt.Errorf("%w (overlong line)", errNoSettings)
			}
			return 0, fmt.Errorf("stats settings: %w", err)
		}
		f := strings.Fields(string(line))
		switch {
		case len(f) == 1 && f[0] == "END":
			if size <= 0 {
				return 0, errNoSettings
			}
			if !cas {
				size += casOverhead
			}
			return size, nil
		case len(f) == 3 && f[0] == "STAT" && f[1] == "item_size_max":
			if size, err = strconv.Atoi(f[2]); err != nil || size < minItemSizeMax {
				return 0, fmt.Errorf("%w (unreadable item_size_max)", errNoSettings)
			}
		case len(f) == 3 && f[0] == "STAT" && f[1] == "cas_enabled":
			cas = f[2] != "no"
		case len(f) == 0 || f[0] != "STAT":
			// ERROR, CLIENT_ERROR …: a server or proxy without the command.
			return 0, fmt.Errorf("%w (not a stats answer)", errNoSettings)
		}
	}
	return 0, fmt.Errorf("%w (answer too long)", errNoSettings)
}
