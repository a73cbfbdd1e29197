package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// The apply path's statements, prepared once on the writer connection when
// the store opens and bound to each transaction with Tx.StmtContext, which
// reuses the connection's prepared statement. Preparing them per chunk cost
// about 200 µs each for the long ones; and inside a transaction, which
// holds the writer's only connection, nothing can be prepared on the pool.
// Key lists are bound as one JSON array (json_each), not as one variable
// per key, so that each statement has one fixed text.

// insertGroup is how many rows one multi-row INSERT carries: enough to
// spread the per-statement cost, few enough to stay far below SQLite's
// bound-variable limit with the widest table. Rows left over at the end go
// one by one.
const insertGroup = 64

// Tables the apply path inserts into, with their columns in argument order.
var (
	profileCols = []string{"id", "email", "mobile_phone", "first_name", "last_name",
		"first_name_fold", "last_name_fold", "profile_type", "created_at", "updated_at", "version", "data",
		"identities"}
	identityCols = []string{"id", "profile_id", "handle", "identifier", "is_active", "is_primary",
		"created_at", "updated_at"}
	itemCols  = []string{"batch_seq", "idx", "outcome", "entity_id", "match_value", "errors", "conflict_profile_id", "updated_at"}
	eventCols = []string{"type", "profile_id", "batch_id", "version", "created_at"}
)

// identityColumns are the columns scanIdentity reads, in its order.
const identityColumns = `id, profile_id, handle, identifier, is_active, is_primary, created_at, updated_at`

// Texts the read side runs too (preparing them per call).
const (
	sqlProfilesByID = `SELECT ` + profileColumns + ` FROM profiles
		WHERE id IN (SELECT value FROM json_each(?)) AND removed_at IS NULL`
)

// The apply path's lookup statements (apply.go: lookup), by index in
// lookupSQL. The profile lookups read the rowid too: an update goes by it,
// which saves a probe of the id index per profile (a page read apiece once
// the store outgrows the page cache).
const (
	lookupByEmail = iota
	lookupIDsByMobile
	lookupIDsByIdentity
	lookupByID
	lookupStmts
)

var lookupSQL = [lookupStmts]string{
	lookupByEmail: `SELECT rowid, ` + profileColumns + ` FROM profiles
		WHERE email IN (SELECT value FROM json_each(?)) AND removed_at IS NULL`,
	lookupIDsByMobile: `SELECT id FROM profiles
		WHERE mobile_phone IN (SELECT value FROM json_each(?)) AND removed_at IS NULL`,
	lookupIDsByIdentity: `SELECT profile_id FROM identities
		WHERE handle = ? AND identifier IN (SELECT value FROM json_each(?))`,
	lookupByID: `SELECT rowid, ` + profileColumns + ` FROM profiles
		WHERE id IN (SELECT value FROM json_each(?)) AND removed_at IS NULL`,
}

// The indexed columns an update may change; a mask of them selects the
// UPDATE statement.
const (
	setEmail = 1 << iota
	setMobile
	setFirstName
	setLastName
	setProfileType
	setAll = 1<<iota - 1
)

// groupInsert inserts rows into one table: insertGroup at a time, or one.
type groupInsert struct {
	ncol      int
	full, one *sql.Stmt
}

// stmts are the writer's prepared statements.
type stmts struct {
	all []*sql.Stmt // for close

	lease, reserveIDs, finish, complete                         *sql.Stmt
	lookup                                                      [lookupStmts]*sql.Stmt
	releaseKeys, deleteIdentity, updateIdentity                 *sql.Stmt
	update                                                      [setAll + 1]*sql.Stmt
	insertProfiles, insertIdentities, insertItems, insertEvents groupInsert
}

// prepareStmts prepares the writer's statements.
func prepareStmts(ctx context.Context, db *sql.DB) (*stmts, error) {
	st := &stmts{}
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		if s, err = db.PrepareContext(ctx, q); err != nil {
			err = fmt.Errorf("sqlite: prepare %.60q: %w", q, err)
			return nil
		}
		st.all = append(st.all, s)
		return s
	}
	group := func(table string, cols []string) groupInsert {
		head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
		row := "(" + placeholders(len(cols)) + ")"
		return groupInsert{
			ncol: len(cols),
			full: prep(head + strings.TrimSuffix(strings.Repeat(row+",", insertGroup), ",")),
			one:  prep(head + row),
		}
	}

	st.lease = prep(`SELECT seq, cursor, total_count, match_criteria FROM batches
		WHERE id = ? AND lease_token = ?`)
	st.reserveIDs = prep(`UPDATE sequences SET next_value = next_value + ?
		WHERE name = 'profile_child' RETURNING next_value`)
	const counters = `UPDATE batches SET processed_count = processed_count + ?,
		success_count = success_count + ?, failed_count = failed_count + ?,
		created_count = created_count + ?, updated_count = updated_count + ?,
		unchanged_count = unchanged_count + ?, cursor = ?, updated_at = ?, `
	st.finish = prep(counters + `lease_expires_at = ? WHERE seq = ? AND lease_token = ?`)
	st.complete = prep(counters + `status = 'completed', completed_at = ?, lease_owner = NULL,
		lease_token = NULL, lease_expires_at = NULL WHERE seq = ? AND lease_token = ?`)

	for i, q := range lookupSQL {
		st.lookup[i] = prep(q)
	}
	st.releaseKeys = prep(`UPDATE profiles SET email = NULL, mobile_phone = NULL WHERE id = ?`)
	st.deleteIdentity = prep(`DELETE FROM identities WHERE profile_id = ? AND id = ?`)
	st.updateIdentity = prep(`UPDATE identities SET handle = ?, identifier = ?, is_active = ?,
		is_primary = ?, created_at = ?, updated_at = ? WHERE profile_id = ? AND id = ?`)
	for mask := range st.update {
		st.update[mask] = prep(updateSQL(mask))
	}

	st.insertProfiles = group("profiles", profileCols)
	st.insertIdentities = group("identities", identityCols)
	st.insertItems = group("batch_items", itemCols)
	st.insertEvents = group("events", eventCols)
	if err != nil {
		st.close()
		return nil, err
	}
	return st, nil
}

// updateSQL is the UPDATE of a profile that sets the columns of mask
// besides updated_at, version, data and identities: SQLite rewrites every
// index on a column an UPDATE sets, changed or not, so an update sets only
// what changed. Its arguments are updated_at, version, data and
// identities, then the mask's
// values in the order of the set* bits, then the rowid, id and stored
// version.
func updateSQL(mask int) string {
	var b strings.Builder
	b.WriteString("UPDATE profiles SET updated_at = ?, version = ?, data = ?, identities = ?")
	for _, c := range []struct {
		bit  int
		cols string
	}{
		{setEmail, ", email = ?"}, {setMobile, ", mobile_phone = ?"},
		{setFirstName, ", first_name = ?, first_name_fold = ?"},
		{setLastName, ", last_name = ?, last_name_fold = ?"},
		{setProfileType, ", profile_type = ?"},
	} {
		if mask&c.bit != 0 {
			b.WriteString(c.cols)
		}
	}
	b.WriteString(" WHERE rowid = ? AND id = ? AND version = ? AND removed_at IS NULL")
	return b.String()
}

func (st *stmts) close() error {
	var errs []error
	for _, s := range st.all {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
