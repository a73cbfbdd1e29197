package postgres

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The ANALYZE policy. A bulk load grows profiles and identities far faster
// than autovacuum notices (it looks once a minute, then waits for 10% of a
// table to change; and it is off on some servers, this machine's included),
// and the apply path's plans go wrong on stale statistics in two ways, both
// seen with auto_explain under BenchmarkApplyChunk/matched (chunks of 500
// loaded into an empty schema, then updated):
//
//   - Never analysed, `removed_at IS NULL` gets the default selectivity of
//     0.5%, so the planner reads "every live profile" through the small
//     partial index profiles_mobile_phone and filters by email, instead of
//     probing profiles_email: the lookup scans the whole table.
//   - A connection's cached generic plans are made on a statement's sixth
//     run, when the tables are tiny, and kept until the statistics change:
//     the set-based UPDATE … FROM unnest hash-joins every live profile
//     (again through profiles_mobile_phone) instead of probing the primary
//     key, and the identity lookup reads every identity of a handle.
//
// Measured on 20,000 profiles (40 chunks): without ANALYZE the lookup took
// up to 85 ms and the UPDATE 16 ms, growing with the table, and matched ran
// at 2,700 profiles/s; with this policy the lookup is four index scans
// (4 ms), the UPDATE a nested loop over profiles_pkey (12.7 ms, mostly
// index upkeep), and matched runs at 7,000–9,000 profiles/s. ANALYZE also
// invalidates the cached plans.
//
// So each node counts the rows it inserts and, every so often, checks the
// tables' counters of changes since their last ANALYZE (which count every
// node's writes) and runs ANALYZE, in the background, off the apply path,
// on a table that has never been analysed or has changed by as many rows
// as it held at its last ANALYZE. The threshold is relative, so a growing
// table is analysed a logarithmic number of times (eight on the way from
// 5,000 to a million profiles), and no plan is made on statistics more
// than twice out of date. It is not more eager because each ANALYZE costs:
// 90 ms for profiles and 50 ms for identities at 20,000 profiles when every
// row was read below the default 30,000-row sample (migration 00008 cut
// the sample to 3,000 rows: 14 and 8 ms at 40,000). Analysing from 1,000
// rows at every 50% of growth spent 384 ms of the 2.8 s of statement time
// of a 20,000-profile HTTP load. SKIP_LOCKED makes a node whose ANALYZE would
// wait for another node's skip it instead.
const (
	analyzeMinRows  = 5000 // below this, any plan is fast enough
	analyzeFraction = 1.0  // changed rows, as a share of the table, that make statistics stale
)

// analyzer runs the ANALYZE policy for one store.
type analyzer struct {
	pool   *pgxpool.Pool
	kick   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	pending int // rows this node inserted since it last checked
	every   int // how many inserted rows make it check

	runs atomic.Int64 // ANALYZE statements run, for tests
}

func (a *analyzer) start(pool *pgxpool.Pool) {
	a.pool = pool
	a.kick = make(chan struct{}, 1)
	a.every = analyzeMinRows
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-a.kick:
				// Errors are left to the next check: statistics are an
				// optimisation, and a failure here must not touch the data path.
				a.check(ctx)
			}
		}
	})
}

// stop ends the background work, waiting for an ANALYZE in flight to be
// cancelled.
func (a *analyzer) stop() {
	if a.cancel != nil {
		a.cancel()
		a.wg.Wait()
	}
}

// note records what a committed chunk wrote and wakes the checker once
// enough rows have gone in.
func (a *analyzer) note(st writeStats) {
	n := st.insertedProfiles + st.insertedIdentities
	if n == 0 || a.kick == nil {
		return
	}
	a.mu.Lock()
	a.pending += n
	due := a.pending >= a.every
	if due {
		a.pending = 0
	}
	a.mu.Unlock()
	if due {
		select {
		case a.kick <- struct{}{}:
		default: // a check is already due
		}
	}
}

// check analyses the tables whose statistics are stale.
func (a *analyzer) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	// The pg_stat_get_* functions, not the pg_stat_user_tables view: the
	// view computes every counter of every table, which took 4 ms a check.
	rows, err := a.pool.Query(ctx, `SELECT relname::text, reltuples::float8, pg_stat_get_mod_since_analyze(oid),
			pg_stat_get_last_analyze_time(oid) IS NULL AND pg_stat_get_last_autoanalyze_time(oid) IS NULL
		FROM pg_class WHERE oid IN ('profiles'::regclass, 'identities'::regclass)`)
	if err != nil {
		return
	}
	var (
		stale   []string
		largest float64
	)
	for rows.Next() {
		var (
			name     string
			tuples   float64
			modified int64
			never    bool
		)
		if err := rows.Scan(&name, &tuples, &modified, &never); err != nil {
			rows.Close()
			return
		}
		largest = max(largest, tuples)
		// A table never analysed is stale as soon as this node has written
		// a check's worth to it: its change counter may lag by a second.
		if never || float64(modified) >= max(analyzeMinRows, analyzeFraction*max(tuples, 0)) {
			stale = append(stale, name)
		}
	}
	rows.Close()
	if rows.Err() != nil {
		return
	}
	if len(stale) > 0 {
		sql := "ANALYZE (SKIP_LOCKED) " + stale[0]
		for _, t := range stale[1:] {
			sql += ", " + t
		}
		if _, err := a.pool.Exec(ctx, sql); err == nil {
			a.runs.Add(1)
		}
	}
	// Check again once this node alone has grown the larger table by a
	// quarter of the stale share: other nodes write too.
	a.mu.Lock()
	a.every = max(analyzeMinRows, int(analyzeFraction/4*largest))
	a.mu.Unlock()
}
