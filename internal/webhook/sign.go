package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// Delivery headers: Omneo's (spec §10.2) and Standard Webhooks' (spec §13
// E8, https://www.standardwebhooks.com).
const (
	HeaderEvent     = "X-Omneo-Event"
	HeaderHMAC      = "X-Omneo-Hmac-SHA256"
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// The key of both signatures is the shared secret's bytes as configured
// (the UTF-8 of the string, exactly what Omneo's PHP SDK passes to
// hash_hmac). Standard Webhooks libraries take their key as "whsec_"
// followed by the key's base64: StandardSecret gives that form.

// SignHex is the X-Omneo-Hmac-SHA256 value: the lower-case hex HMAC-SHA256
// of the raw body.
func SignHex(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// SignStandard is the webhook-signature value: "v1," and the base64
// HMAC-SHA256 of "id.timestamp.body".
func SignStandard(secret, id string, timestamp int64, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(standardMAC(secret, id, strconv.FormatInt(timestamp, 10), body))
}

func standardMAC(secret, id, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifyHex reports whether sig is body's X-Omneo-Hmac-SHA256 under secret,
// comparing in constant time.
func VerifyHex(secret string, body []byte, sig string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// VerifyStandard reports whether header (a webhook-signature value: one
// or more space-separated "v1,<base64>" signatures) holds a signature of
// id, timestamp and body under secret, as a Standard Webhooks receiver
// checks it. Checking the timestamp's age is the receiver's business.
func VerifyStandard(secret, id, timestamp string, body []byte, header string) bool {
	want := standardMAC(secret, id, timestamp, body)
	for _, sig := range strings.Fields(header) {
		version, b64, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// GenerateSecret returns a new shared secret: 32 random bytes as 64
// lower-case hex characters, printable and safe in any configuration file.
func GenerateSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("webhook: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// StandardSecret is secret in the form Standard Webhooks libraries take:
// "whsec_" and the base64 of its bytes.
func StandardSecret(secret string) string {
	return "whsec_" + base64.StdEncoding.EncodeToString([]byte(secret))
}
