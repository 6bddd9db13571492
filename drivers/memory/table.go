package memory

import (
	"encoding/binary"
	"unsafe"
)

// item is one stored session in 24 bytes, so that a map slot with its
// uint64 key takes 32 bytes instead of the 40 of a string key and a
// string value. Both pointers refer to byte arrays that are never written
// after newItem, which is what makes the copy semantics hold: Set copies in,
// Get copies out.
type item struct {
	// rec is the record: uvarint(len(value)), uvarint(len(key)), key. The
	// lengths fit in the size-class slack of a typical key's allocation
	// (43 bytes in 48), so storing them there costs nothing.
	rec *byte
	val *byte // the value's bytes; nil when it is empty
	exp int64 // Unix nanoseconds of the Store's clock; expired when now >= exp
}

// newItem returns the item of key with the value v (already a copy, owned
// by the item; nil when empty). It reuses rec, the record of the item it
// replaces, when that says the same lengths: a record is never written
// after it is made, so readers holding the old item are unaffected.
func newItem(key string, v []byte, exp int64, rec *byte) item {
	if rec != nil {
		if vlen, klen, _ := (item{rec: rec}).lens(); vlen != uint64(len(v)) || klen != uint64(len(key)) {
			rec = nil
		}
	}
	if rec == nil {
		var hdr [2 * binary.MaxVarintLen64]byte
		n := binary.PutUvarint(hdr[:], uint64(len(v)))
		n += binary.PutUvarint(hdr[n:], uint64(len(key)))
		r := make([]byte, n+len(key))
		copy(r, hdr[:n])
		copy(r[n:], key)
		rec = &r[0]
	}
	it := item{rec: rec, exp: exp}
	if len(v) > 0 {
		it.val = &v[0]
	}
	return it
}

// copyValue returns a copy of value for newItem: nil when empty.
func copyValue(value []byte) []byte {
	if len(value) == 0 {
		return nil
	}
	v := make([]byte, len(value))
	copy(v, value)
	return v
}

// uvarint decodes the uvarint at p, reading no further than its last byte.
func uvarint(p *byte) (v uint64, n int) {
	for shift := uint(0); ; shift += 7 {
		b := *(*byte)(unsafe.Add(unsafe.Pointer(p), n))
		n++
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, n
		}
	}
}

func (it item) lens() (vlen, klen uint64, off int) {
	vlen, n := uvarint(it.rec)
	klen, m := uvarint((*byte)(unsafe.Add(unsafe.Pointer(it.rec), n)))
	return vlen, klen, n + m
}

// key returns the stored key, a view of the record.
func (it item) key() string {
	_, klen, off := it.lens()
	if klen == 0 {
		return "" // a pointer just past the record would be invalid (checkptr)
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(it.rec), off)), int(klen))
}

// value returns a view of the stored value; callers must copy it.
func (it item) value() []byte {
	vlen, _, _ := it.lens()
	if vlen == 0 {
		return nil
	}
	return unsafe.Slice(it.val, int(vlen))
}

// table holds the sessions of one cookie name in one shard, by the 64-bit
// seeded hash of the key (which also picks the shard). A key whose hash is
// taken by another key goes to spill; a key is in spill only while its hash
// is taken in items. With a random 64-bit seed, spill stays empty in
// practice, but a collision is never a wrong answer.
type table struct {
	items map[uint64]item
	spill map[string]item
}

func newTable() *table { return &table{items: make(map[uint64]item)} }

func (t *table) len() int { return len(t.items) + len(t.spill) }

func (t *table) get(h uint64, key string) (item, bool) {
	if it, ok := t.items[h]; ok {
		if it.key() == key {
			return it, true
		}
		if t.spill != nil {
			it, ok = t.spill[key]
			return it, ok
		}
	}
	return item{}, false
}

// put stores it under key (whose hash is h), replacing any item of key.
func (t *table) put(h uint64, key string, it item) {
	cur, ok := t.items[h]
	if !ok || cur.key() == key {
		t.items[h] = it
		return
	}
	if t.spill == nil {
		t.spill = make(map[string]item)
	}
	t.spill[it.key()] = it // the key as a view of the record: no allocation
}

// del removes key; hash computes the hash of a spilled key.
func (t *table) del(h uint64, key string, hash func(string) uint64) bool {
	cur, ok := t.items[h]
	if !ok {
		return false
	}
	if cur.key() != key {
		if _, ok := t.spill[key]; !ok {
			return false
		}
		delete(t.spill, key)
		return true
	}
	delete(t.items, h)
	t.unspill(hash)
	return true
}

// unspill moves spilled items whose hash is free again into items, which
// keeps the invariant after removals from items.
func (t *table) unspill(hash func(string) uint64) {
	for k, it := range t.spill {
		h := hash(k)
		if _, ok := t.items[h]; !ok {
			t.items[h] = it
			delete(t.spill, k)
		}
	}
	if len(t.spill) == 0 {
		t.spill = nil
	}
}
