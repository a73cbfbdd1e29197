package clientele

import (
	"bytes"
	"encoding/json"
	"testing"
)

// marshalString and CoerceCustomValue's string reading take fast paths;
// they must give exactly what encoding/json gives (no HTML escaping), on
// every kind of string, so stored values and unchanged detection do not
// depend on which path ran.
func TestStringCodingMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "<b>&amp;</b>", "tab\tnew\nline\r",
		"\b\f\x01\x1f", "ünïcödé ✓", "\u2028\u2029", "bad \xff utf8", "\xe2\x80"} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		want := bytes.TrimRight(buf.Bytes(), "\n")
		if got := marshalString(s); !bytes.Equal(got, want) {
			t.Errorf("marshalString(%q) = %s, want %s", s, got, want)
		}
		// Reading the encoded string back as a string attribute stores what
		// encoding/json would have decoded, re-encoded.
		var back string
		json.Unmarshal(want, &back)
		got, _, ok := CoerceCustomValue("string", want)
		if !ok || !bytes.Equal(got, marshalString(back)) {
			t.Errorf("CoerceCustomValue(string, %s) = %s, %v; want %s", want, got, ok, marshalString(back))
		}
	}
}
