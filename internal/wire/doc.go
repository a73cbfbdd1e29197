// Package wire renders the domain's records as the objects of the wire
// contract (spec/api.md §4): the Profile, the Batch and its items. The HTTP
// API and the webhook bodies both render through it, so that a profile
// reads the same in a GET response and in a profile.updated webhook.
package wire
