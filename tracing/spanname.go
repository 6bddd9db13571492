package tracing

import (
	"sync"
	"sync/atomic"
)

// spanNameCache holds the span names "{operation} {cookie name}" so that a
// traced call does not build the same string again and again. Cookie names
// are few and fixed by the application; the cache still stops growing at
// maxCachedNames so that a caller passing arbitrary names cannot grow it.
// Reads take no lock: the map is replaced, never changed (copy on write).
type spanNameCache struct {
	m  atomic.Pointer[map[string]*[numOps]string]
	mu sync.Mutex // serialises writers
}

const maxCachedNames = 64

// get returns the span name of op on the cookie name; the bare operation
// name when name is empty.
func (c *spanNameCache) get(op int, name string) string {
	if name == "" {
		return opNames[op]
	}
	if m := c.m.Load(); m != nil {
		if names, ok := (*m)[name]; ok {
			return names[op]
		}
	}
	return c.add(op, name)
}

func (c *spanNameCache) add(op int, name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	size := 0
	if old != nil {
		if names, ok := (*old)[name]; ok {
			return names[op]
		}
		if size = len(*old); size >= maxCachedNames {
			return opNames[op] + " " + name
		}
	}
	var names [numOps]string
	for i := range numOps {
		names[i] = opNames[i] + " " + name
	}
	m := make(map[string]*[numOps]string, size+1)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[name] = &names
	c.m.Store(&m)
	return names[op]
}
