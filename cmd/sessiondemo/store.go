package main

import (
	"fmt"
	"strings"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
)

// openStore opens the driver -store names; the caller closes it.
func openStore(o options) (session.Storage, error) {
	switch o.store {
	case "memory":
		return memory.New(), nil
	case "memcached":
		cfg := memcached.Config{Prefix: "sessiondemo"}
		for srv := range strings.SplitSeq(o.servers, ",") {
			if srv = strings.TrimSpace(srv); srv != "" {
				cfg.Servers = append(cfg.Servers, srv)
			}
		}
		s, err := memcached.New(cfg)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("unknown -store %q: want memory or memcached", o.store)
}
