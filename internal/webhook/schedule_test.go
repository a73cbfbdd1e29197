package webhook

import (
	"net/http"
	"testing"
	"time"
)

func TestScheduleDelays(t *testing.T) {
	s := DefaultSchedule()
	s.Jitter = 0
	var fast []time.Duration
	for n := 1; n <= 10; n++ {
		d, ok := s.Delay(n, false, false, nil)
		if !ok {
			t.Fatalf("no retry after attempt %d", n)
		}
		fast = append(fast, d)
	}
	want := []time.Duration{5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560}
	for i := range want {
		if fast[i] != want[i]*time.Second {
			t.Errorf("delay after attempt %d = %v, want %v", i+1, fast[i], want[i]*time.Second)
		}
	}
	if _, ok := s.Delay(11, false, false, nil); ok {
		t.Error("retries went on without retry_hourly or retry_daily")
	}
	count := func(hourly, daily bool) (n int, total time.Duration) {
		for n = 1; ; n++ {
			d, ok := s.Delay(n, hourly, daily, nil)
			if !ok {
				return n - 1, total
			}
			total += d
		}
	}
	for _, c := range []struct {
		hourly, daily bool
		retries       int
	}{{false, false, 10}, {true, false, 34}, {false, true, 17}, {true, true, 41}} {
		if n, _ := count(c.hourly, c.daily); n != c.retries {
			t.Errorf("hourly %v daily %v: %d retries, want %d", c.hourly, c.daily, n, c.retries)
		}
	}
	if d, _ := s.Delay(11, true, true, nil); d != time.Hour {
		t.Errorf("first hourly retry after %v", d)
	}
	if d, _ := s.Delay(35, true, true, nil); d != 24*time.Hour {
		t.Errorf("first daily retry after %v", d)
	}
}

func TestScheduleJitter(t *testing.T) {
	s := DefaultSchedule()
	lo, _ := s.Delay(1, false, false, func() float64 { return 0 })
	hi, _ := s.Delay(1, false, false, func() float64 { return 0.999999 })
	if lo != 4*time.Second || hi < 5990*time.Millisecond || hi > 6*time.Second {
		t.Errorf("jittered first delay from %v to %v, want 4s to 6s", lo, hi)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"120":                           2 * time.Minute,
		"-5":                            0,
		"soon":                          0,
		"Wed, 01 Jan 2025 00:01:00 GMT": time.Minute,
	} {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		if got := retryAfter(h, now); got != want {
			t.Errorf("Retry-After %q = %v, want %v", v, got, want)
		}
	}
}
