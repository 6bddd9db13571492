package sqlstore

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Options are the Config fields both SQL drivers read alike: the tables,
// the clock, the value limit and the sweeper. Each driver copies them out
// of its Config and checks them with Settings, so that a field means the
// same, with the same default and the same error, whatever the server.
type Options struct {
	Mode             Mode
	Table, TableMeta string
	Clock            func() time.Time
	MaxValueSize     int
	SweepInterval    time.Duration
	SweepBatch       int
	Logger           *slog.Logger
}

// Settings are Options checked, with their defaults applied.
type Settings struct {
	Clock        func() time.Time
	MaxValueSize int
	// Sweep is the sweeper's configuration without its Sweep function
	// (the driver's batch statement, set by Core.StartSweeper).
	Sweep SweepConfig
	// SweepOff is true for a negative SweepInterval: no background
	// sweeper (one process sweeps, or a cron job calls Sweep).
	SweepOff bool
}

// TableParser checks one table name for a driver (arg names the field):
// ParseTable with the driver's dialect, plus whatever the server further
// requires of a name (MySQL: a database to put it in).
type TableParser func(arg, name string) (Table, error)

// Settings checks o but for the tables (see Layout). defMaxValue is
// MaxValueSize's default (0: no limit but the server's) and maxValue the
// most it may be (0: no bound), what a data column holds. Errors name the
// field and the rule; the driver wraps them in its ErrConfig.
func (o Options) Settings(defMaxValue, maxValue int) (Settings, error) {
	if !o.Mode.Valid() {
		return Settings{}, fmt.Errorf("unknown Mode %d", int(o.Mode))
	}
	s := Settings{Clock: o.Clock, SweepOff: o.SweepInterval < 0}
	if s.Clock == nil {
		s.Clock = time.Now
	}
	var err error
	if s.MaxValueSize, err = Size("MaxValueSize", o.MaxValueSize, defMaxValue); err != nil {
		return Settings{}, err
	}
	if maxValue > 0 && s.MaxValueSize > maxValue {
		return Settings{}, fmt.Errorf("MaxValueSize %d is more than the data column holds (%d)", s.MaxValueSize, maxValue)
	}
	batch, err := Size("SweepBatch", o.SweepBatch, DefaultSweepBatch)
	if err != nil {
		return Settings{}, err
	}
	s.Sweep = SweepConfig{Now: s.Clock, Interval: o.SweepInterval, Batch: batch, Logger: o.Logger}
	return s, nil
}

// Layout checks the mode and the table names (a driver checks them apart
// from Settings when a name depends on its connection settings, as MySQL's
// default database), lua-resty-session's defaults filled in: Table "sessions", TableMeta Table + "_meta". Two
// names of one table are refused: every index row would be a session.
func (o Options) Layout(parse TableParser) (Layout, error) {
	if !o.Mode.Valid() {
		return Layout{}, fmt.Errorf("unknown Mode %d", int(o.Mode))
	}
	table := o.Table
	if table == "" {
		table = DefaultTable
	}
	meta := o.TableMeta
	if meta == "" {
		meta = DefaultMetaTable(table)
	}
	sessions, err := parse("Table", table)
	if err != nil {
		return Layout{}, err
	}
	metaT, err := parse("TableMeta", meta)
	if err != nil {
		return Layout{}, err
	}
	if sessions.String() == metaT.String() {
		return Layout{}, errSameTable
	}
	return Layout{Mode: o.Mode, Sessions: sessions, Meta: metaT}, nil
}

var errSameTable = errors.New("Table and TableMeta name the same table")
