package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// checkpointInterval is the least time between two checkpoints: often
// enough to keep the WAL small, seldom enough that a page written by many
// commits in a row is copied once.
const checkpointInterval = 200 * time.Millisecond

// checkpointer copies the WAL into the database file on a connection of
// its own. SQLite would otherwise checkpoint inside the commit that crosses
// wal_autocheckpoint, so that one commit in a few paid for reading the WAL,
// writing the pages and syncing the file: a third of a chunk's time, with
// the write lock held. A PASSIVE checkpoint runs beside the writer (it takes
// no write lock), so here it costs the writer nothing; the writer's own
// autocheckpoint remains as a backstop (walBackstop), which under load is
// also what restarts the WAL.
type checkpointer struct {
	db   *sql.DB
	kc   chan struct{}
	stop chan struct{}
	wg   sync.WaitGroup
}

func startCheckpointer(path string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn(path, connCheckpoint))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, kc: make(chan struct{}, 1), stop: make(chan struct{})}
	c.wg.Add(1)
	go c.run()
	return c, nil
}

// kick asks for a checkpoint after a commit; it never blocks.
func (c *checkpointer) kick() {
	if c == nil {
		return
	}
	select {
	case c.kc <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer c.wg.Done()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kc:
		}
		// An error (the database is busy, say) only delays the copy to
		// the next kick, or to the writer's backstop.
		_, _ = c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointInterval):
		}
	}
}

func (c *checkpointer) close() error {
	close(c.stop)
	c.wg.Wait()
	return c.db.Close()
}
