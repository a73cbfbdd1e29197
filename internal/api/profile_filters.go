package api

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/clientele/clientele"
)

// profileFilter reads the filters of GET /profiles (spec §1.3, §5.1) and
// the attribute conditions of GET /profiles/attributes/custom (§8.1), both
// of which either route accepts.
//
// Forms: filter[field]=v is equality; filter[field][op]=v with op in eq,
// gt, gte, lt, lte, in (a comma list). The string filters (email,
// first_name, last_name, mobile_phone) take eq and in, which combine by
// AND, and [eq] wins over the plain form, as filter[search] wins over
// search. id, profile_type and tags.handle are any-of lists that every
// form adds to. created_at and updated_at take every operator, each with
// the meaning clientele.ParseTimeCond gives it; a value that is not a date
// is a 422 keyed by the parameter in Laravel's dot form
// (filter.created_at, filter.created_at.gte). Unknown fields, and
// operators a field does not take, are ignored (§1.3 DECISION).
func (s *server) profileFilter(q url.Values, page pageRequest) (clientele.ProfileFilter, error) {
	f := clientele.ProfileFilter{
		Sort:   parseSort(q.Get("sort")),
		Offset: page.offset(),
		Limit:  page.Size,
	}
	f.Email, f.EmailIn = stringFilter(q, "email")
	f.FirstName, f.FirstNameIn = stringFilter(q, "first_name")
	f.LastName, f.LastNameIn = stringFilter(q, "last_name")
	// A number that does not parse matches no stored E.164 number.
	var phones []string
	f.MobilePhone, phones = stringFilter(q, "mobile_phone")
	f.MobilePhone = s.phoneFilter(f.MobilePhone)
	for _, p := range phones {
		f.MobilePhoneIn = append(f.MobilePhoneIn, *s.phoneFilter(&p))
	}
	for _, id := range listFilter(q, "id") {
		// Ids are stored lower-case; anything that is not one matches none.
		f.IDs = append(f.IDs, strings.ToLower(id))
	}
	f.ProfileTypes = listFilter(q, "profile_type")
	f.TagHandles = listFilter(q, "tags.handle")
	var err error
	if f.CreatedAt, err = timeFilter(q, "created_at"); err != nil {
		return f, err
	}
	if f.UpdatedAt, err = timeFilter(q, "updated_at"); err != nil {
		return f, err
	}
	if f.Attributes, err = attributeConds(q); err != nil {
		return f, err
	}
	// Both spellings are documented (§1.3); the filter[] one wins when a
	// client sends both.
	f.Search = strings.TrimSpace(q.Get("search"))
	if v := strings.TrimSpace(q.Get("filter[search]")); v != "" {
		f.Search = v
	}
	return f, nil
}

// stringFilter reads filter[name] (or filter[name][eq], which wins) and
// filter[name][in]; empty values are no filter.
func stringFilter(q url.Values, name string) (eq *string, in []string) {
	eq = nonEmpty(q, "filter["+name+"]")
	if v := nonEmpty(q, "filter["+name+"][eq]"); v != nil {
		eq = v
	}
	return eq, clientele.SplitFilterList(q.Get("filter[" + name + "][in]"))
}

// listFilter reads an any-of filter: filter[name] and filter[name][in] are
// comma lists, filter[name][eq] one value; every form adds to the list.
func listFilter(q url.Values, name string) []string {
	out := clientele.SplitFilterList(q.Get("filter[" + name + "]"))
	if v := strings.TrimSpace(q.Get("filter[" + name + "][eq]")); v != "" {
		out = append(out, v)
	}
	return append(out, clientele.SplitFilterList(q.Get("filter["+name+"][in]"))...)
}

// timeFilter reads filter[name] (eq) and filter[name][op] for every
// operator; all of them hold.
func timeFilter(q url.Values, name string) ([]clientele.TimeCond, error) {
	var out []clientele.TimeCond
	add := func(param, key, op string) error {
		v := strings.TrimSpace(q.Get(param))
		if v == "" {
			return nil
		}
		c, ok := clientele.ParseTimeCond(op, v)
		if !ok {
			return invalid(key, "The "+key+" field must be a valid date.")
		}
		out = append(out, c)
		return nil
	}
	if err := add("filter["+name+"]", "filter."+name, clientele.OpEq); err != nil {
		return nil, err
	}
	for _, op := range clientele.FilterOps {
		if err := add("filter["+name+"]["+op+"]", "filter."+name+"."+op, op); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// attributeParam is one attributes[i][field] or attributes[i][value][op]
// query parameter (spec §8.1).
var attributeParam = regexp.MustCompile(`^attributes\[(\d{1,6})\]\[(namespace|handle|value)\](?:\[([a-z]+)\])?$`)

// attributeConds reads the conditions of spec §8.1, in index order:
// attributes[i][namespace] and [handle] are required, with a value:
// attributes[i][value] (equality) or attributes[i][value][op]. Several
// values of one index each hold (AND), as several indexes do.
func attributeConds(q url.Values) ([]clientele.AttributeCond, error) {
	type entry struct {
		namespace, handle *string
		values            [][2]string // op, value
	}
	byIndex := map[int]*entry{}
	for key := range q {
		m := attributeParam.FindStringSubmatch(key)
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		e := byIndex[i]
		if e == nil {
			e = &entry{}
			byIndex[i] = e
		}
		v := q.Get(key)
		switch {
		case m[2] == "namespace" && m[3] == "":
			e.namespace = &v
		case m[2] == "handle" && m[3] == "":
			e.handle = &v
		case m[2] == "value" && m[3] == "":
			e.values = append(e.values, [2]string{clientele.OpEq, v})
		case m[2] == "value" && slices.Contains(clientele.FilterOps, m[3]):
			e.values = append(e.values, [2]string{m[3], v})
		}
	}
	indexes := make([]int, 0, len(byIndex))
	for i := range byIndex {
		indexes = append(indexes, i)
	}
	slices.Sort(indexes)
	var (
		out []clientele.AttributeCond
		fe  clientele.FieldErrors
	)
	for _, i := range indexes {
		e := byIndex[i]
		key := "attributes." + strconv.Itoa(i)
		if e.namespace == nil || strings.TrimSpace(*e.namespace) == "" {
			fe.Add(key+".namespace", "The "+key+".namespace field is required.")
		}
		if e.handle == nil || strings.TrimSpace(*e.handle) == "" {
			fe.Add(key+".handle", "The "+key+".handle field is required.")
		}
		// Ops in a fixed order, so that conditions (and errors) do not
		// depend on map order.
		slices.SortFunc(e.values, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
		var conds []clientele.AttributeCond
		for _, ov := range e.values {
			vals := []string{ov[1]}
			if ov[0] == clientele.OpIn {
				vals = clientele.SplitFilterList(ov[1])
			}
			if len(vals) == 0 || vals[0] == "" {
				continue
			}
			conds = append(conds, clientele.AttributeCond{Op: ov[0], Values: vals})
		}
		if len(conds) == 0 {
			fe.Add(key+".value", "The "+key+".value field is required.")
			continue
		}
		if e.namespace == nil || e.handle == nil {
			continue
		}
		for _, c := range conds {
			c.Namespace, c.Handle = strings.TrimSpace(*e.namespace), strings.TrimSpace(*e.handle)
			out = append(out, c)
		}
	}
	return out, fe.Err()
}
