package webhook

import (
	"net/http"
	"strconv"
	"time"
)

// Schedule is when failed deliveries are tried again (spec §12 #40). After
// the n-th failed attempt (counted from the first, or from the last manual
// retry):
//
//   - n ≤ FastRetries: Base·2^(n-1), at most FastCap. With the defaults:
//     5s, 10s, 20s, 40s, 80s, 160s, 320s, 640s, 1280s, 2560s, about 85
//     minutes in all, so that a receiver that restarts or blips is caught
//     up within seconds to minutes;
//   - then, if the webhook has retry_hourly, HourlyRetries more an Hourly
//     apart (24 × 1h);
//   - then, if it has retry_daily, DailyRetries more a Daily apart
//     (7 × 24h);
//   - then the delivery has failed.
//
// Every delay varies by ±Jitter (a fraction), so that deliveries that
// failed together do not return together. A 429 or 503 with Retry-After
// waits at least that long, at most MaxRetryAfter.
type Schedule struct {
	Base          time.Duration
	FastRetries   int
	FastCap       time.Duration
	Hourly        time.Duration
	HourlyRetries int
	Daily         time.Duration
	DailyRetries  int
	Jitter        float64
	MaxRetryAfter time.Duration
}

// DefaultSchedule is the schedule of the doc comment of Schedule.
func DefaultSchedule() Schedule {
	return Schedule{
		Base:          5 * time.Second,
		FastRetries:   10,
		FastCap:       time.Hour,
		Hourly:        time.Hour,
		HourlyRetries: 24,
		Daily:         24 * time.Hour,
		DailyRetries:  7,
		Jitter:        0.2,
		MaxRetryAfter: 24 * time.Hour,
	}
}

// Delay is the wait before the attempt after the n-th failed one (n from
// 1), with jitter drawn from rnd (uniform in [0, 1)); ok is false when the
// schedule allows no more attempts.
func (s Schedule) Delay(n int, hourly, daily bool, rnd func() float64) (d time.Duration, ok bool) {
	switch {
	case n < 1:
		return 0, false
	case n <= s.FastRetries:
		d = s.Base
		for i := 1; i < n && d < s.FastCap; i++ {
			d *= 2
		}
		d = min(d, s.FastCap)
	case hourly && n <= s.FastRetries+s.HourlyRetries:
		d = s.Hourly
	case daily && n <= s.FastRetries+hourlyRetries(s, hourly)+s.DailyRetries:
		d = s.Daily
	default:
		return 0, false
	}
	if s.Jitter > 0 && rnd != nil {
		d = time.Duration(float64(d) * (1 - s.Jitter + 2*s.Jitter*rnd()))
	}
	return d, true
}

// hourlyRetries is how many hourly retries precede the daily ones.
func hourlyRetries(s Schedule, hourly bool) int {
	if hourly {
		return s.HourlyRetries
	}
	return 0
}

// retryAfter reads a Retry-After header (RFC 9110 §10.2.3: seconds or an
// HTTP date) as a wait from now; 0 when absent or unreadable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(secs)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
