package webhook

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestSignHex(t *testing.T) {
	body := []byte(`{"id":1}`)
	// python3: hmac.new(b'secret', b'{"id":1}', hashlib.sha256).hexdigest()
	const want = "03def589620c813f198fd03d7967e292b163ef0435ebf43071ce0e9519763cb7"
	if got := SignHex("secret", body); got != want {
		t.Errorf("SignHex = %s, want %s", got, want)
	}
	if !VerifyHex("secret", body, want) || !VerifyHex("secret", body, strings.ToUpper(want)) {
		t.Error("VerifyHex refused the right signature")
	}
	if VerifyHex("other", body, want) || VerifyHex("secret", []byte(`{"id":2}`), want) || VerifyHex("secret", body, "zz") {
		t.Error("VerifyHex accepted a wrong signature")
	}
}

// TestSignStandardVector checks the Standard Webhooks specification's own
// example, so that any Standard Webhooks library verifies what clientele
// signs when given StandardSecret(secret).
func TestSignStandardVector(t *testing.T) {
	key, _ := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	secret := string(key)
	body := []byte(`{"test": 2432232314}`)
	const id, ts = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got := SignStandard(secret, id, ts, body); got != want {
		t.Errorf("SignStandard = %s, want %s", got, want)
	}
	if got := StandardSecret(secret); got != "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" {
		t.Errorf("StandardSecret = %s", got)
	}
	if !VerifyStandard(secret, id, "1614265330", body, "v1,bm90IGl0 "+want) {
		t.Error("VerifyStandard refused a header holding the right signature")
	}
	if VerifyStandard(secret, id, "1614265331", body, want) || VerifyStandard(secret, id, "1614265330", body, "v2,"+want[3:]) {
		t.Error("VerifyStandard accepted a wrong signature")
	}
}

func TestGenerateSecret(t *testing.T) {
	a, b := GenerateSecret(), GenerateSecret()
	if len(a) != 64 || a == b || strings.Trim(a, "0123456789abcdef") != "" {
		t.Errorf("secrets %q %q", a, b)
	}
}
