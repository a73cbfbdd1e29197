// Package clientele is the domain of the clientele customer-profile service:
// profiles and their parts, the batch queue's records, tokens, the one error
// type, and the pure rules that validate, normalise, match and merge profile
// input. It does no I/O: storage lives behind the Store interface
// (internal/sqlite, internal/postgres) and HTTP in internal/api.
package clientele
