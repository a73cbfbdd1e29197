package sqlite

import (
	"sync"

	"github.com/clientele/clientele"
)

// changeLog lets a chunk be resolved before it has the writer (apply.go:
// resolveAhead) and tells, once it has it, whether what it read then still
// holds. Every writer transaction that can change profiles or identities
// logs what it touched after its commit, before it lets the writer go:
// a chunk logs its keys and the ids of the profiles it loaded or wrote, any
// other profile write logs "everything". A chunk resolved on a snapshot
// taken after mark returned m is still right if no entry after m touched a
// key it looked up or a profile it loaded: then the owners of its keys, and
// those owners' rows, are what the snapshot showed.
//
// Entries are numbered in commit order. An entry is logged after its
// commit, so a snapshot that misses a commit started before that commit
// was logged, and its mark is older than the entry: a snapshot is never
// taken to be newer than it is (the converse, a snapshot that already saw
// an entry counted after it, only makes a chunk resolve again).
type changeLog struct {
	mu      sync.Mutex
	last    uint64        // number of the newest entry
	entries []changeEntry // the newest maxChanges, oldest first
	// The writer connection and its data_version at the last check, to
	// notice commits by another process (see external).
	conn        any
	dataVersion int64
}

// changeEntry is what one commit touched; all means everything.
type changeEntry struct {
	n    uint64
	all  bool
	keys map[string]struct{}
}

// maxChanges bounds the log. A chunk is resolved ahead a few logged
// commits before it writes (the other worker's chunk, a profile written
// through the API); one that finds the log moved further than this
// resolves again in the writer. An entry of a chunk holds a few thousand
// keys, 64 of them were 5 MB of heap.
const maxChanges = 16

// mark returns the number of the newest entry, to be passed to untouched
// for a snapshot taken after it.
func (l *changeLog) mark() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// log adds an entry for a commit that touched keys (changeKeys), or
// everything when all is set.
func (l *changeLog) log(keys map[string]struct{}, all bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last++
	if len(l.entries) == maxChanges {
		l.entries = append(l.entries[:0], l.entries[1:]...)
	}
	l.entries = append(l.entries, changeEntry{n: l.last, all: all, keys: keys})
}

// untouched reports whether no commit logged after mark touched any of
// keys.
func (l *changeLog) untouched(mark uint64, keys []string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == mark {
		return true
	}
	if len(l.entries) == 0 || l.entries[0].n > mark+1 {
		return false // entries after mark were dropped
	}
	for _, e := range l.entries[mark+1-l.entries[0].n:] {
		if e.all {
			return false
		}
		for _, k := range keys {
			if _, ok := e.keys[k]; ok {
				return false
			}
		}
	}
	return true
}

// external logs "everything" when the writer connection conn has seen a
// commit by another connection since the last call (its data_version
// moved), or is not the connection of the last call. Only the writer
// writes in this process, so such a commit is another process's: it may
// have changed any profile.
func (l *changeLog) external(conn any, dataVersion int64) {
	l.mu.Lock()
	same := conn == l.conn && dataVersion == l.dataVersion
	l.conn, l.dataVersion = conn, dataVersion
	l.mu.Unlock()
	if !same {
		l.log(nil, true)
	}
}

// Keys of the change log: a chunk key or a profile id, each with a prefix
// of its kind.
func emailKey(v string) string                   { return "e" + v }
func mobileKey(v string) string                  { return "m" + v }
func identityKey(k clientele.IdentityKey) string { return "i" + k.Handle + "\x00" + k.Identifier }
func profileKey(id string) string                { return "p" + id }
func addKeys(dst map[string]struct{}, keys []string) {
	for _, k := range keys {
		dst[k] = struct{}{}
	}
}

// chunkKeys are the log keys of what a chunk looks up.
func chunkKeys(keys clientele.ChunkKeys) []string {
	out := make([]string, 0, len(keys.Emails)+len(keys.Mobiles)+len(keys.Identities))
	for _, v := range keys.Emails {
		out = append(out, emailKey(v))
	}
	for _, v := range keys.Mobiles {
		out = append(out, mobileKey(v))
	}
	for _, k := range keys.Identities {
		out = append(out, identityKey(k))
	}
	return out
}

// touched is the log entry of a chunk: the keys it looked up, the profiles
// it loaded, and every key and id of the profiles it wrote, before and
// after.
func touched(looked []string, stored map[string]*storedProfile, writes []clientele.ProfileWrite) map[string]struct{} {
	m := make(map[string]struct{}, len(looked)+2*len(writes))
	addKeys(m, looked)
	for id, st := range stored {
		m[profileKey(id)] = struct{}{}
		if st.email != "" {
			m[emailKey(st.email)] = struct{}{}
		}
		if st.mobile != "" {
			m[mobileKey(st.mobile)] = struct{}{}
		}
		for _, x := range st.identities {
			m[identityKey(clientele.IdentityKey{Handle: x.Handle, Identifier: x.Identifier})] = struct{}{}
		}
	}
	for _, w := range writes {
		p := w.Profile
		m[profileKey(p.ID)] = struct{}{}
		if p.Email != nil {
			m[emailKey(*p.Email)] = struct{}{}
		}
		if p.MobilePhone != nil {
			m[mobileKey(*p.MobilePhone)] = struct{}{}
		}
		for _, x := range p.Identities {
			m[identityKey(clientele.IdentityKey{Handle: x.Handle, Identifier: x.Identifier})] = struct{}{}
		}
	}
	return m
}
