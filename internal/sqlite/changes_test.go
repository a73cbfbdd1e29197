package sqlite

import "testing"

func TestChangeLog(t *testing.T) {
	var l changeLog
	other := map[string]struct{}{emailKey("b@example.com"): {}}
	m := l.mark()
	if !l.untouched(m, []string{emailKey("a@example.com")}) {
		t.Error("nothing logged since the mark, yet touched")
	}
	l.log(other, false)
	if !l.untouched(m, []string{emailKey("a@example.com")}) {
		t.Error("an entry of other keys touched a@")
	}
	if l.untouched(m, []string{emailKey("b@example.com")}) {
		t.Error("an entry of b@ did not touch b@")
	}
	if !l.untouched(l.mark(), []string{emailKey("b@example.com")}) {
		t.Error("an entry before the mark touched b@")
	}
	for range maxChanges - 1 {
		l.log(other, false)
	}
	if !l.untouched(m, []string{profileKey("p1")}) {
		t.Error("maxChanges entries since the mark: they are all kept")
	}
	l.log(other, false)
	if l.untouched(m, []string{profileKey("p1")}) {
		t.Error("an entry after the mark was dropped, yet untouched")
	}
	m = l.mark()
	l.log(nil, true)
	if l.untouched(m, []string{profileKey("p1")}) {
		t.Error("an entry of everything did not touch p1")
	}
}
