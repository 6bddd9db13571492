package memcached

import (
	"strconv"

	"github.com/sessionstore/sessionstore/session/driver"
)

// setWire is a Set plan's names and lifetimes on the wire.
type setWire struct {
	item       string
	exptime    int32
	old        string // "" without a rotation
	oldExptime int32
	indexes    []string
}

// planSetWire escapes the plan's item names and converts its lifetimes,
// refusing what memcached cannot store; nothing is sent yet.
func planSetWire(p *driver.SetPlan) (setWire, error) {
	var w setWire
	var ok bool
	if w.exptime, ok = exptime(p.TTLSeconds, p.Expiry); !ok {
		return setWire{}, driver.Invalid("ttl", "expiry beyond memcached's range (January 2038)")
	}
	var buf keyBuf
	var err error
	if w.item, err = wireKey(p.AppendItem(buf[:0]), "key"); err != nil {
		return setWire{}, err
	}
	if r := p.Rotation; r.Key != "" {
		if w.old, err = wireKey(p.AppendOldItem(buf[:0]), "opts.OldKey"); err != nil {
			return setWire{}, err
		}
		if w.oldExptime, ok = exptime(r.StaleSeconds, r.StaleExpiry); !ok {
			return setWire{}, driver.Invalid("opts.StaleTTL", "expiry beyond memcached's range (January 2038)")
		}
	}
	if w.indexes, err = indexKeys(len(p.Metadata), p.AppendIndexItem); err != nil {
		return setWire{}, err
	}
	return w, nil
}

// indexKeys returns the wire keys of n indexes named by appendName.
func indexKeys(n int, appendName func(dst []byte, i int) []byte) ([]string, error) {
	if n == 0 {
		return nil, nil
	}
	keys := make([]string, n)
	var buf keyBuf
	for i := range keys {
		k, err := wireKey(appendName(buf[:0], i), "metadata["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	return keys, nil
}
