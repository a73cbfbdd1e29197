package api

import (
	"slices"
	"testing"
)

func TestPageWindow(t *testing.T) {
	for _, c := range []struct {
		current, last int
		want          []int
	}{
		{1, 1, []int{1}},
		{2, 3, []int{1, 2, 3}},
		{5, 13, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}},
		{1, 20, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 19, 20}},
		{10, 20, []int{1, 2, 0, 7, 8, 9, 10, 11, 12, 13, 0, 19, 20}},
		{18, 20, []int{1, 2, 0, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}},
	} {
		if got := pageWindow(c.current, c.last); !slices.Equal(got, c.want) {
			t.Errorf("pageWindow(%d, %d) = %v, want %v", c.current, c.last, got, c.want)
		}
	}
}
