// Package worker drains the batch queue: it claims queued batches with a
// lease, applies their items chunk by chunk through the Store, and keeps the
// lease alive while it works. It holds no state that matters: a batch whose
// worker dies is resumed at its cursor by any worker once the lease expires.
package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/clientele/clientele"
)

// Defaults for Config's zero values.
const (
	DefaultLeaseTTL     = 30 * time.Second
	DefaultPollInterval = 250 * time.Millisecond
)

// Config configures a Pool.
type Config struct {
	Store  clientele.Store
	Logger *slog.Logger
	Now    func() time.Time
	// Owner names this node in leases, for operators reading the batches table.
	Owner string
	// Workers is how many batches this node applies at once.
	Workers int
	// LeaseTTL is how long a claim lasts without renewal; a crashed node's
	// batches wait this long before another node resumes them.
	LeaseTTL time.Duration
	// PollInterval is how often an idle worker looks for work that another
	// node queued; local submissions wake it at once through Notify.
	PollInterval time.Duration
	// PhoneRegion is the region for national phone numbers ("" = E.164 only).
	PhoneRegion string
	// Handoff, when set, holds batches this node accepted, decoded; a
	// chunk found there is not read and decoded again.
	Handoff *Handoff
	// ApplySize, when set, is the most items applied in one transaction:
	// a chunk (clientele.ChunkSize items, read or handed off together) is
	// applied in parts of this size, each moving the cursor. A store with
	// one writer (SQLite) holds it for less at a time, so that an accept
	// waits less.
	ApplySize int
}

// Pool runs Config.Workers workers.
type Pool struct {
	cfg  Config
	wake chan struct{}
}

// New returns a Pool; Run starts it.
func New(cfg Config) *Pool {
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Pool{cfg: cfg, wake: make(chan struct{}, cfg.Workers)}
}

// Notify wakes idle workers because a batch was just queued. It never blocks.
func (p *Pool) Notify() {
	for range p.cfg.Workers {
		select {
		case p.wake <- struct{}{}:
		default:
			return
		}
	}
}

// Run works until ctx is cancelled. A chunk in flight when ctx ends is
// abandoned uncommitted: its lease expires and the chunk is applied again,
// once, by whoever resumes the batch.
func (p *Pool) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range p.cfg.Workers {
		wg.Go(func() { p.loop(ctx) })
	}
	wg.Wait()
}

func (p *Pool) loop(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-p.wake:
		}
		// Drain everything claimable before sleeping again.
		for ctx.Err() == nil {
			worked, err := p.claimAndApply(ctx)
			if err != nil && ctx.Err() == nil {
				p.cfg.Logger.Error("batch worker", "error", err)
			}
			if !worked || err != nil {
				break
			}
		}
		timer.Reset(p.cfg.PollInterval)
	}
}

// claimAndApply claims one batch and applies it to the end. It reports
// whether there was a batch to claim.
func (p *Pool) claimAndApply(ctx context.Context) (bool, error) {
	lease, err := p.cfg.Store.ClaimBatch(ctx, p.cfg.Owner, p.cfg.Now(), p.cfg.LeaseTTL)
	if clientele.ErrorCode(err) == clientele.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	log := p.cfg.Logger.With("batch_id", lease.BatchID)
	if lease.Claims > clientele.MaxBatchClaims {
		// Every earlier lease ended without completing the batch: its
		// payload or a chunk cannot be applied. End it as failed, so it
		// stops taking a worker and a share of the queue limit forever.
		log.Error("batch failed: it never completed", "claims", lease.Claims, "cursor", lease.Cursor, "total", lease.Total)
		return true, stopErr(ctx, p.cfg.Store.FailBatch(ctx, lease, p.cfg.Now()), log)
	}
	log.Info("batch claimed", "cursor", lease.Cursor, "total", lease.Total, "claims", lease.Claims)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go p.heartbeat(ctx, cancel, lease, log)

	cursor := lease.Cursor
	for cursor < lease.Total {
		chunk, err := p.nextChunk(ctx, lease, cursor)
		if err != nil {
			return true, stopErr(ctx, err, log)
		}
		for _, part := range parts(chunk, p.cfg.ApplySize) {
			cursor, err = p.applyChunk(ctx, lease, part, log)
			if err != nil {
				return true, stopErr(ctx, err, log)
			}
		}
	}
	log.Info("batch completed", "total", lease.Total)
	return true, nil
}

// nextChunk is the chunk of the leased batch at cursor: from the handoff
// when this node accepted the batch and still holds it, else read from the
// store and prepared.
func (p *Pool) nextChunk(ctx context.Context, l clientele.Lease, cursor int) (clientele.Chunk, error) {
	if items, ok := p.cfg.Handoff.Take(l.BatchID, cursor, p.cfg.PhoneRegion); ok {
		return clientele.Chunk{From: cursor, Now: p.cfg.Now(), Items: items}, nil
	}
	raw, err := p.cfg.Store.LeasedItems(ctx, l, cursor)
	if err != nil {
		return clientele.Chunk{}, err
	}
	if len(raw) == 0 {
		return clientele.Chunk{}, errors.New("worker: batch has no items at its cursor")
	}
	return Prepare(raw, p.cfg.PhoneRegion, p.cfg.Now()), nil
}

// parts splits c into chunks of at most size items (all of it when size is
// 0), in order.
func parts(c clientele.Chunk, size int) []clientele.Chunk {
	if size <= 0 || len(c.Items) <= size {
		return []clientele.Chunk{c}
	}
	var out []clientele.Chunk
	for i := 0; i < len(c.Items); i += size {
		out = append(out, clientele.Chunk{From: c.From + i, Now: c.Now, Items: c.Items[i:min(i+size, len(c.Items))]})
	}
	return out
}

// Chunk retries: a chunk that fails for a reason other than a lost lease is
// tried chunkAttempts times, pausing chunkRetryPause, then 4× that.
const (
	chunkAttempts   = 3
	chunkRetryPause = 100 * time.Millisecond
)

// applyChunk applies one chunk, trying again after a short pause when the
// store fails for a reason other than a lost lease (a database restart, a
// disk that was briefly full): giving up at once would stall the batch
// until its lease expires. A chunk that keeps failing is left to the lease
// expiry, and past MaxBatchClaims the batch ends as failed.
func (p *Pool) applyChunk(ctx context.Context, l clientele.Lease, c clientele.Chunk, log *slog.Logger) (int, error) {
	var err error
	pause := chunkRetryPause
	for attempt := 1; ; attempt++ {
		var next int
		next, err = p.cfg.Store.ApplyChunk(ctx, l, c, p.cfg.LeaseTTL)
		if err != nil && attempt > 1 && clientele.ErrorCode(err) == clientele.ECONFLICT && p.applied(ctx, l, c) {
			// The failed attempt had committed (its error came after the
			// commit, from the sync say): the batch is past this chunk.
			return c.From + len(c.Items), nil
		}
		if err == nil || clientele.ErrorCode(err) == clientele.ECONFLICT || ctx.Err() != nil || attempt == chunkAttempts {
			return next, err
		}
		log.Warn("chunk failed; trying again", "error", err, "attempt", attempt, "from", c.From)
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(pause):
		}
		pause *= 4
	}
}

// applied reports whether the batch's cursor is already at the end of c,
// as after a commit of c whose ApplyChunk still returned an error: a retry
// of it then fails with ECONFLICT, and without this the batch would wait
// for its lease to expire.
func (p *Pool) applied(ctx context.Context, l clientele.Lease, c clientele.Chunk) bool {
	b, err := p.cfg.Store.Batch(ctx, l.BatchID)
	return err == nil && b.ProcessedCount == c.From+len(c.Items)
}

// heartbeat renews the lease every third of its lifetime, so a chunk that
// runs long (a slow disk, a busy database) does not lose it. A lost lease
// cancels the work: another worker owns the batch now.
func (p *Pool) heartbeat(ctx context.Context, cancel context.CancelFunc, l clientele.Lease, log *slog.Logger) {
	t := time.NewTicker(p.cfg.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := p.cfg.Store.RenewLease(ctx, l, p.cfg.Now(), p.cfg.LeaseTTL)
			if clientele.ErrorCode(err) == clientele.ECONFLICT {
				log.Warn("lease lost")
				cancel()
				return
			}
			if err != nil && ctx.Err() == nil {
				log.Error("lease renewal", "error", err)
			}
		}
	}
}

// stopErr turns a lost lease or a shutdown into a log line: losing a lease
// is expected when a node stalls past its TTL, and the new owner finishes
// the batch; on shutdown the lease expires and the batch resumes elsewhere.
func stopErr(ctx context.Context, err error, log *slog.Logger) error {
	if clientele.ErrorCode(err) == clientele.ECONFLICT || ctx.Err() != nil {
		log.Warn("lease lost; another worker resumes the batch")
		return nil
	}
	return err
}

// Prepare decodes and normalises stored items into a chunk
// (clientele.PrepareItem). An item that fails here (its phone number does
// not parse, say) becomes a failed item; the rest go on.
func Prepare(raw []clientele.RawItem, phoneRegion string, now time.Time) clientele.Chunk {
	c := clientele.Chunk{From: raw[0].Index, Now: now, Items: make([]clientele.ChunkItem, len(raw))}
	for i, r := range raw {
		in, err := clientele.DecodeProfileInput(r.JSON)
		if err != nil {
			in = nil // damaged: PrepareItem fails it
		}
		c.Items[i] = clientele.PrepareItem(r.Index, in, phoneRegion)
	}
	return c
}
