package clientele

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Webhook field limits (DECISION: the spec names none). 2048 is the URL
// length every browser and proxy handles.
const (
	maxWebhookText = 255
	maxWebhookURL  = 2048
)

// WebhookInput is a decoded body of POST or PUT /webhooks (spec §10.1).
// Every field remembers whether it was sent, so that a PUT changes only
// what it names.
type WebhookInput struct {
	Trigger     Str  `json:"trigger"`
	URL         Str  `json:"url"`
	Namespace   Str  `json:"namespace"`
	IsActive    Bool `json:"is_active"`
	RetryHourly Bool `json:"retry_hourly"`
	RetryDaily  Bool `json:"retry_daily"`
	Queue       Raw  `json:"queue"`
	Condition   Raw  `json:"condition"`
}

// ParseWebhookInput decodes and validates a webhook body; create requires
// trigger and url. Strings are trimmed, as Laravel's TrimStrings
// middleware does. Errors: EMALFORMED when body is not JSON; EINVALID with
// Laravel keys (trigger, url, namespace, is_active, retry_hourly,
// retry_daily, condition) otherwise.
func ParseWebhookInput(body []byte, create bool) (*WebhookInput, error) {
	if err := CheckJSON(body); err != nil {
		return nil, err
	}
	in := &WebhookInput{}
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '{' {
		// Every field type is tolerant: decoding a valid object never fails.
		_ = json.Unmarshal(b, in)
	}
	in.Trigger.V = strings.TrimSpace(in.Trigger.V)
	in.URL.V = strings.TrimSpace(in.URL.V)
	in.Namespace.V = strings.TrimSpace(in.Namespace.V)

	var fe FieldErrors
	required := func(key string, s Str, limit int) {
		switch {
		case s.Bad:
			fe.Add(key, "The "+key+" field must be a string.")
		case s.Set && (s.Null || s.V == ""), !s.Set && create:
			fe.Add(key, "The "+key+" field is required.")
		case utf8.RuneCountInString(s.V) > limit:
			fe.Add(key, "The "+key+" field must not be greater than "+strconv.Itoa(limit)+" characters.")
		}
	}
	required("trigger", in.Trigger, maxWebhookText)
	required("url", in.URL, maxWebhookURL)
	if _, ok := fe["url"]; !ok && in.URL.Set && !validWebhookURL(in.URL.V) {
		fe.Add("url", "The url field must be a valid URL.")
	}
	switch {
	case in.Namespace.Bad:
		fe.Add("namespace", "The namespace field must be a string.")
	case utf8.RuneCountInString(in.Namespace.V) > maxWebhookText:
		fe.Add("namespace", "The namespace field must not be greater than 255 characters.")
	}
	for key, b := range map[string]Bool{"is_active": in.IsActive, "retry_hourly": in.RetryHourly} {
		if b.Bad || b.Null {
			fe.Add(key, "The "+key+" field must be true or false.")
		}
	}
	if in.RetryDaily.Bad {
		fe.Add("retry_daily", "The retry_daily field must be true or false.")
	}
	if in.Condition.Set && !in.Condition.Null {
		if b := bytes.TrimSpace(in.Condition.V); len(b) == 0 || b[0] != '{' {
			// Laravel calls objects arrays.
			fe.Add("condition", "The condition field must be an array.")
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return in, nil
}

// validWebhookURL accepts absolute http and https URLs with a host.
func validWebhookURL(s string) bool {
	if strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme == "http" || scheme == "https"
}

// NewWebhook is the webhook a create request describes, with the defaults
// of spec §12 #29 for what it leaves out: namespace "", is_active true,
// retry_hourly false, retry_daily, queue and condition null.
func (in *WebhookInput) NewWebhook() Webhook {
	w := Webhook{IsActive: true}
	in.Apply(&w)
	return w
}

// Apply sets the fields of w that in sent; the others stay as they are.
func (in *WebhookInput) Apply(w *Webhook) {
	if v, ok := in.Trigger.Value(); ok {
		w.Trigger = v
	}
	if v, ok := in.URL.Value(); ok {
		w.URL = v
	}
	if in.Namespace.Set {
		// null and "" both mean no namespace, which is "" (spec §4.9).
		w.Namespace = in.Namespace.V
	}
	if in.IsActive.Set {
		w.IsActive = in.IsActive.V
	}
	if in.RetryHourly.Set {
		w.RetryHourly = in.RetryHourly.V
	}
	if in.RetryDaily.Set {
		w.RetryDaily = nil
		if !in.RetryDaily.Null {
			v := in.RetryDaily.V
			w.RetryDaily = &v
		}
	}
	if in.Queue.Set {
		w.Queue = webhookQueue(in.Queue)
	}
	if in.Condition.Set {
		w.Condition = nil
		if !in.Condition.Null {
			// Stored verbatim, only without insignificant white space: the
			// tests compare it deep-equal, keys in the order sent.
			var buf bytes.Buffer
			if json.Compact(&buf, in.Condition.V) == nil {
				w.Condition = buf.Bytes()
			} else {
				w.Condition = append(json.RawMessage(nil), in.Condition.V...)
			}
		}
	}
}

// webhookQueue is the stored queue of a sent one: null stays null, a known
// name is kept, anything else is "low" (spec §4.9 DECISION).
func webhookQueue(r Raw) *string {
	if r.Null {
		return nil
	}
	var s string
	if json.Unmarshal(r.V, &s) == nil {
		switch s = strings.TrimSpace(s); s {
		case WebhookQueueLow, WebhookQueueDefault, WebhookQueueHigh:
			return &s
		}
	}
	low := WebhookQueueLow
	return &low
}
