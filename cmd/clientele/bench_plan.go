package main

import (
	"strconv"

	"github.com/clientele/clientele/internal/benchgen"
)

// Workload names, in the order a run takes them.
const (
	workloadWarmup  = "warmup"
	workloadPreload = "preload"
	workloadNew     = "new"
	workloadMatched = "matched"
	workloadMixed   = "mixed"
)

// benchPlanner hands out the workloads of one run. It remembers which
// profile indexes the run has created, so that matched work updates
// profiles that exist and new work never repeats one.
type benchPlanner struct {
	first     int // index of the first profile the run creates
	fresh     int // next index never loaded
	rev       int // last revision handed out
	batchSize int // mixed repeats keys inside batches of this size
}

func newBenchPlanner(first, batchSize int) *benchPlanner {
	return &benchPlanner{first: first, fresh: first, batchSize: batchSize}
}

// benchWorkload is n items of one kind; items() replays them, the same
// every time, so the store-alone run applies what was posted.
type benchWorkload struct {
	name      string
	round     int // 1, 2, … with --rounds above 1; else 0
	n         int
	batchSize int
	// fresh items take indexes freshFrom, freshFrom+1, … in revision 0.
	freshFrom int
	// matched items spread evenly over the existN profiles from existFrom,
	// in revision rev; repeats come back to a profile created five items
	// earlier in the same batch, in revision rev+1.
	existFrom, existN int
	rev               int
	// shift moves the spread of matched items along (modulo its stride),
	// so that successive updating workloads, rounds above all, update
	// other profiles than the last one did: at a million profiles a
	// round that updated the same ones would find their pages cached.
	// A small store gives little room: with as many items as profiles
	// (stride 1) every round updates them all, and with stride 2 rounds
	// alternate between two halves.
	shift int
	// counts of each kind; created == fresh.
	fresh, matched, repeats int
}

// label names the workload in reports: its name, and its round if any
// ("matched/2").
func (w benchWorkload) label() string {
	if w.round == 0 {
		return w.name
	}
	return w.name + "/" + strconv.Itoa(w.round)
}

// created is how many profiles the workload creates.
func (w benchWorkload) created() int { return w.fresh }

// plan returns the next workload called name (warmup, preload, new,
// matched or mixed) of n items. Matched and mixed need profiles to exist:
// the caller runs new or preload first.
func (p *benchPlanner) plan(name string, n int) benchWorkload {
	w := benchWorkload{name: name, n: n, batchSize: p.batchSize, freshFrom: p.fresh,
		existFrom: p.first, existN: p.fresh - p.first}
	if !freshOnly(name) {
		// Every updating workload gets revisions of its own, so what it
		// sends always differs from what the profiles hold.
		w.rev = p.rev + 1
		// 37 profiles along per updating workload: rows of neighbouring
		// profiles share pages, and 37 is prime to most strides.
		w.shift = 37 * (p.rev / 2)
		p.rev += 2
	}
	for j := range n {
		switch w.kind(j) {
		case itemFresh:
			w.fresh++
		case itemMatched:
			w.matched++
		default:
			w.repeats++
		}
	}
	p.fresh += w.fresh
	return w
}

// freshOnly reports whether the workload called name creates every
// profile it sends.
func freshOnly(name string) bool {
	return name == workloadWarmup || name == workloadPreload || name == workloadNew
}

type itemKind int

const (
	itemFresh itemKind = iota
	itemMatched
	itemRepeat
)

// kind says what item j is. Mixed work alternates new and matched
// profiles, and every tenth item of a batch repeats the key of a profile
// created five items before it — a batch that creates and then updates a
// profile, as importers' batches do, which exercises the apply path's
// chunk-local map.
func (w benchWorkload) kind(j int) itemKind {
	switch {
	case freshOnly(w.name):
		return itemFresh
	case w.name == workloadMatched:
		return itemMatched
	}
	k := j % w.batchSize
	switch {
	case k%10 == 9:
		return itemRepeat // k-5 is even: a fresh item of this batch
	case k%2 == 0:
		return itemFresh
	default:
		return itemMatched
	}
}

// spread is the offset from existFrom of matched item i: the matched
// items spread evenly over the existing profiles, shifted within their
// stride. The last one's offset is at most existN-stride before the shift,
// so the shifted offset stays below existN.
func (w benchWorkload) spread(i int) int {
	off := int(int64(i) * int64(w.existN) / int64(w.matched))
	if stride := w.existN / w.matched; stride > 1 {
		off += w.shift % stride
	}
	return off
}

// items returns a function that yields the workload's items in order, one
// per call, without holding them: a million-profile workload streams.
func (w benchWorkload) items() func() benchgen.Item {
	j, fresh, matched := 0, 0, 0
	var recent [10]int // indexes of the last ten items, for repeats
	return func() benchgen.Item {
		var it benchgen.Item
		switch w.kind(j) {
		case itemFresh:
			it = benchgen.Item{Index: w.freshFrom + fresh}
			fresh++
		case itemMatched:
			// Spread over all existing profiles, so at scale the updates
			// reach the whole of every index, not its recent end.
			it = benchgen.Item{Index: w.existFrom + w.spread(matched), Rev: w.rev}
			matched++
		case itemRepeat:
			it = benchgen.Item{Index: recent[(j-5)%10], Rev: w.rev + 1}
		}
		recent[j%10] = it.Index
		j++
		return it
	}
}
