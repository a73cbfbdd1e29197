package sqlite

import (
	"sync"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// pageCacheBulkKiB is how much page cache every connection allocates in
// one block when it first reads, and keeps until it closes (SQLite's
// SQLITE_CONFIG_PAGECACHE with no buffer: the "initial bulk allocation",
// 20 pages by default). SQLite caps the block at the connection's cache
// size at that moment, which is still SQLite's default (2,000 KiB): the
// DSN's cache_size pragma reads the schema before it takes. So a reader's
// whole cache is the bulk (store.go: dsn), and the writer's first 2 MB.
//
// Why: a reader's cache is emptied at the start of every transaction
// after a commit (WAL), and pages outside the bulk go back to the
// allocator, which hands freed memory beyond a few MiB back to the kernel
// (madvise) and faults it in again, zeroed, on the next transaction. At a
// million profiles a chunk's lookup reads more than a thousand pages, and
// that churn cost as much as reading them.
const pageCacheBulkKiB = 4096

// defaultCacheKiB is SQLite's default cache_size (-2000: KiB), the most
// a connection's bulk can be, and so the readers' cache size.
const defaultCacheKiB = 2000

var (
	pageCacheOnce sync.Once
	// pageCacheRC is what sqlite3_config answered: SQLITE_OK when the
	// setting took.
	pageCacheRC int32 = -1
)

// configurePageCache sets the bulk allocation before the process opens
// its first connection (sqlite3_config must come before SQLite
// initialises). It is only a performance setting: if SQLite refuses it
// (another package opened a connection first), connections work as
// before.
func configurePageCache() {
	pageCacheOnce.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		va := libc.Xmalloc(tls, 3*8)
		if va == 0 {
			return
		}
		defer libc.Xfree(tls, va)
		// (pMem, sz, N): no buffer, so N < 0 asks for -1024*N bytes.
		pageCacheRC = sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_PAGECACHE,
			libc.VaList(va, uintptr(0), int32(0), int32(-pageCacheBulkKiB)))
	})
}
