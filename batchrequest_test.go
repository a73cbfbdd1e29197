package clientele

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseBatchRequestErrors(t *testing.T) {
	type fe = FieldErrors
	tests := []struct {
		name     string
		body     string
		max      int
		wantCode string
		want     FieldErrors
	}{
		{"not json", `{"match_criteria":`, 500, EMALFORMED, nil},
		{"trailing garbage", `{} x`, 500, EMALFORMED, nil},
		{"empty body", ``, 500, EMALFORMED, nil},
		{"array body", `[{"email":"a@b.co"}]`, 500, EINVALID, fe{
			"match_criteria": {"The match criteria field is required."},
			"profiles":       {"The profiles field is required."},
		}},
		{"null body", `null`, 500, EINVALID, fe{
			"match_criteria": {"The match criteria field is required."},
			"profiles":       {"The profiles field is required."},
		}},
		{"missing both", `{}`, 500, EINVALID, fe{
			"match_criteria": {"The match criteria field is required."},
			"profiles":       {"The profiles field is required."},
		}},
		{"blank criteria", `{"match_criteria":" ","profiles":[{}]}`, 500, EINVALID, fe{
			"match_criteria": {"The match criteria field is required."},
		}},
		{"criteria not string", `{"match_criteria":1,"profiles":[{}]}`, 500, EINVALID, fe{
			"match_criteria": {"The match criteria must be a string."},
		}},
		{"profiles not array", `{"match_criteria":"email","profiles":{"email":"a@b.co"}}`, 500, EINVALID, fe{
			"profiles": {"The profiles must be an array."},
		}},
		{"profiles null", `{"match_criteria":"email","profiles":null}`, 500, EINVALID, fe{
			"profiles": {"The profiles field is required."},
		}},
		{"profiles empty", `{"match_criteria":"email","profiles":[]}`, 500, EINVALID, fe{
			"profiles": {"The profiles must have at least 1 items."},
		}},
		{"too many", `{"match_criteria":"email","profiles":[{},{},{}]}`, 2, EINVALID, fe{
			"profiles": {"The profiles must not have more than 2 items."},
		}},
		{"import job id", `{"match_criteria":"email","profiles":[{}],"import_job_id":"x"}`, 500, EINVALID, fe{
			"import_job_id": {"The import job id must be an integer."},
		}},
		{"items", `{"match_criteria":"email","profiles":[{"email":"ok@x.co"},"x",null,{"email":"bad","identities":[{"handle":"h"}]}]}`, 500, EINVALID, fe{
			"profiles.1":                         {"The profiles.1 must be an object."},
			"profiles.2":                         {"The profiles.2 must be an object."},
			"profiles.3.email":                   {"The email must be a valid email address."},
			"profiles.3.identities.0.identifier": {"The identities.0.identifier field is required."},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := ParseBatchRequest([]byte(tt.body), tt.max)
			if req != nil || err == nil {
				t.Fatalf("got %+v, %v; want an error", req, err)
			}
			if code := ErrorCode(err); code != tt.wantCode {
				t.Errorf("code %q, want %q (%v)", code, tt.wantCode, err)
			}
			if tt.wantCode == EMALFORMED {
				if e := err.(*Error); e.Message != "Malformed JSON body." {
					t.Errorf("message %q", e.Message)
				}
				return
			}
			if got := ErrorFields(err); !reflect.DeepEqual(got, map[string][]string(tt.want)) {
				t.Errorf("fields %v\nwant   %v", got, tt.want)
			}
		})
	}
}

func TestParseBatchRequest(t *testing.T) {
	body := `{"match_criteria":"email","import_job_id":42,"profiles":[
		{"email":" Jo@Example.com ","first_name":"Jo"},
		{ "first_name" : "No email" },
		{"email":"b@example.com","identities":[{"handle":"shopify","identifier":" 77 "}]}]}`
	req, err := ParseBatchRequest([]byte(body), 500)
	if err != nil {
		t.Fatal(err)
	}
	if req.MatchCriteria != "email" || req.ImportJobID == nil || *req.ImportJobID != 42 {
		t.Errorf("envelope %+v", req)
	}
	if want := []string{"jo@example.com", "", "b@example.com"}; !reflect.DeepEqual(req.Items.MatchValues, want) {
		t.Errorf("match values %q, want %q", req.Items.MatchValues, want)
	}
	if len(req.Items.Raw) != 3 || string(req.Items.Raw[1]) != `{ "first_name" : "No email" }` {
		t.Errorf("raw items not kept as sent: %q", req.Items.Raw)
	}

	req, err = ParseBatchRequest([]byte(strings.Replace(body, `"email"`, `"shopify"`, 1)), 500)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"", "", "77"}; !reflect.DeepEqual(req.Items.MatchValues, want) || req.MatchCriteria != "shopify" {
		t.Errorf("handle mode match values %q, want %q", req.Items.MatchValues, want)
	}
}

// benchBatch is a realistic batch: n variations of item.
func benchBatch(n int, item string) []byte {
	items := make([]string, n)
	for i := range items {
		items[i] = strings.NewReplacer(
			"jsmith@example.com", fmt.Sprintf("customer%d@example.com", i),
			`"7731904"`, fmt.Sprintf(`"%d"`, 1000000+i),
			"addr-1", fmt.Sprintf("addr-%d", i),
		).Replace(item)
	}
	return []byte(`{"match_criteria":"email","profiles":[` + strings.Join(items, ",") + `]}`)
}

// typicalItem is what most importers send: identity, contact and a little
// more.
const typicalItem = `{"email":"jsmith@example.com","first_name":"Jane","last_name":"Smith",
"mobile_phone":"0404 123 123","identities":[{"handle":"shopify","identifier":"7731904"}],
"tags":["vip"],"custom_attributes":[{"namespace":"locale","handle":"language","value":"EN"}],
"comms_attributes":{"email_promo":true}}`

// benchItem is a profile as clientele bench makes them (internal/benchgen):
// identities, tags, five custom attributes and an address.
const benchItem = `{"first_name":"William","last_name":"Taylor","email":"William.Taylor.7@Example.com",
"mobile_phone":"+61400000007","tags":["segment 1","campaign-0"],"identities":[{"handle":"shopify",
"identifier":"7000000007","is_primary":true},{"handle":"pos","identifier":"P-0000007"}],
"custom_attributes":[{"namespace":"locale","handle":"language","value":"EN"},{"namespace":"prefs",
"handle":"newsletter","type":"boolean","value":true},{"namespace":"crm","handle":"tier","value":"platinum"},
{"namespace":"crm","handle":"visits","type":"integer","value":9},{"namespace":"crm","handle":"since",
"value":"2015"}],"addresses":[{"address_line_1":"110 George St","city":"Hobart","state":"TAS",
"postcode":"7000","country":"AU","external_id":"home","is_default":true}]}`

// BenchmarkParseBatchRequest parses and validates a full 500-item batch:
// the synchronous cost of POST /profiles/batch. "seed" items carry every
// field of the reference request (~2.3 KB each); "typical" ones what most
// importers send (~0.35 KB); "bench" ones what clientele bench sends
// (~0.75 KB).
func BenchmarkParseBatchRequest(b *testing.B) {
	for _, bc := range []struct{ name, item string }{{"seed", seedItem}, {"typical", typicalItem}, {"bench", benchItem}} {
		b.Run(bc.name, func(b *testing.B) {
			body := benchBatch(500, bc.item)
			if !json.Valid(body) {
				b.Fatal("invalid benchmark body")
			}
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := ParseBatchRequest(body, 500); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
