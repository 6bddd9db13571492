package memcached

import (
	"crypto/md5" //nolint:gosec // ketama's point hash, not a security use
	"encoding/binary"
	"errors"
	"net"
	"slices"
	"strconv"
)

// pointsPerServer is libmemcached's ketama default: 40 md5 digests per
// server, 4 points per digest.
const pointsPerServer = 160

// ketama is a memcache.ServerSelector that spreads keys over servers with
// consistent hashing the way libmemcached's ketama mode does: each server
// owns 160 points on a 32-bit ring (md5 of "address-i", four little-endian
// words per digest) and a key goes to the first point at or after the first
// word of md5(key). Adding a server to n moves about 1/(n+1) of the keys;
// gomemcache's own crc32 mod n would move about n/(n+1).
type ketama struct {
	servers []*server
	points  []ketamaPoint // sorted by hash
}

type ketamaPoint struct {
	hash   uint32
	server int
}

var errNoServers = errors.New("memcached: no servers configured")

func newKetama(servers []*server) *ketama {
	k := &ketama{servers: servers}
	if len(servers) < 2 {
		return k
	}
	k.points = make([]ketamaPoint, 0, len(servers)*pointsPerServer)
	buf := make([]byte, 0, 64)
	for si, srv := range servers {
		for i := range pointsPerServer / 4 {
			buf = append(buf[:0], srv.address...)
			buf = append(buf, '-')
			buf = strconv.AppendInt(buf, int64(i), 10)
			d := md5.Sum(buf) //nolint:gosec // see import
			for h := range 4 {
				k.points = append(k.points, ketamaPoint{hash: binary.LittleEndian.Uint32(d[h*4:]), server: si})
			}
		}
	}
	slices.SortFunc(k.points, func(a, b ketamaPoint) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return a.server - b.server
	})
	return k
}

func (k *ketama) pick(key string) (*server, error) {
	switch len(k.servers) {
	case 0:
		return nil, errNoServers
	case 1:
		return k.servers[0], nil
	}
	d := md5.Sum([]byte(key)) //nolint:gosec // see import
	h := binary.LittleEndian.Uint32(d[:4])
	i, _ := slices.BinarySearchFunc(k.points, h, func(p ketamaPoint, h uint32) int {
		switch {
		case p.hash < h:
			return -1
		case p.hash > h:
			return 1
		}
		return 0
	})
	if i == len(k.points) {
		i = 0
	}
	return k.servers[k.points[i].server], nil
}

// PickServer implements memcache.ServerSelector.
func (k *ketama) PickServer(key string) (net.Addr, error) {
	srv, err := k.pick(key)
	if err != nil {
		return nil, err
	}
	return srv, nil
}

// Each implements memcache.ServerSelector.
func (k *ketama) Each(fn func(net.Addr) error) error {
	for _, srv := range k.servers {
		if err := fn(srv); err != nil {
			return err
		}
	}
	return nil
}
