package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/connsim/connsim/httpmodel"
	"go.yaml.in/yaml/v3"
)

// Limits on the size of an experiment.
const (
	maxModels      = 64
	maxPlots       = 100
	maxSweepValues = 10000   // values over all swept keys
	maxRuns        = 1000000 // points x models x repeat
	maxObjects     = 100000  // objects on the page, counts summed
	// maxRequestRows bounds the requests of all runs together (rows of
	// requests.csv, about 100 bytes each: 1 GB of output; each is also
	// held in memory, and so is each point's page).
	maxRequestRows = 10_000_000
)

// loaded is an experiment being checked: its spec, the decoder that
// holds the problems found and the position of each key path in the file
// (none for a Spec built in Go), and the checked sweep axes. Load checks
// a decoded file with it and Points checks the Spec as it is, with the
// same checks, so a Spec built in Go and the same file loaded give the
// same points and problems.
type loaded struct {
	file string
	// root is the file's tree while Load checks it: a sweep key that
	// cannot be set is then reported in the file's terms. nil in Points.
	root *yaml.Node
	spec *Spec
	d    *decoder
	axes []*axis
	// cache holds the sweep values that Load decoded, by key and text:
	// Points applies them without decoding them again.
	cache map[string]map[string]*sweptValue
	// pointNodes holds each plot's point value nodes; nil for a Spec
	// built in Go (built from the texts then).
	pointNodes map[int][]*yaml.Node
	// baseSeen holds the problems of the file itself, so that a sweep
	// value's check can tell its own problems from the file's.
	baseSeen map[Error]bool
}

// axis is one swept key, resolved against the spec.
type axis struct {
	key     string
	keyNode *yaml.Node
	segs    []pathSeg // a key path; nil for a model option
	option  string    // the option of a model.<option> key
	nodes   []*yaml.Node
	values  []SweepValue
	// vals holds each value decoded into the type at the key path (or
	// the option's type); nil for a value that is invalid or a copy.
	vals    []*sweptValue
	def     reflect.Value // the default at the key path, what a value is decoded onto
	f       field         // the field at the key path
	keyOK   bool          // the key is valid
	ok      bool          // the key and every value are valid
	numeric bool          // Values are plain numbers rather than indices
	unit    Unit          // how figures show the values (Spec.AxisUnit)
}

// sweptValue is one sweep value decoded, once: what a point sets at its
// key path, its number, and the nodes of its key paths (for the
// positions of the problems a point finds).
type sweptValue struct {
	v     reflect.Value
	num   float64
	kind  string
	isNum bool
	node  *yaml.Node            // the value's own node
	nodes map[string]*yaml.Node // the nodes of the key paths it sets
}

type pathSeg struct {
	key   string
	index int // >= 0 for a list index segment
}

// parseYAML parses one YAML document and returns its root node.
func parseYAML(file string, data []byte) (*yaml.Node, ErrorList) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1}, nil
	}
	if err != nil {
		return nil, ErrorList{syntaxError(file, err)}
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, ErrorList{syntaxError(file, err)}
	default:
		return nil, ErrorList{{File: file, Line: extra.Line, Column: extra.Column, Msg: "only one YAML document per file (remove the ---)"}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1}, nil
	}
	return doc.Content[0], nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)

func syntaxError(file string, err error) *Error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: "YAML syntax error: " + m[2]}
	}
	return &Error{File: file, Msg: "YAML syntax error: " + strings.TrimPrefix(msg, "yaml: ")}
}

// decodeRoot decodes a (possibly patched) tree into a Spec with defaults,
// without the checks that involve several keys.
func decodeRoot(file string, root *yaml.Node) (*Spec, *decoder) {
	s := defaultSpec()
	d := newDecoder(file, root)
	d.decode(root, "", reflect.ValueOf(s).Elem(), field{})
	inheritServers(s, d)
	if len(s.Models) == 0 && d.nodes["models"] == nil {
		m, _ := newModel(Persistent)
		s.Models = []ModelSpec{m}
	}
	return s, d
}

// loadBase parses and decodes a file and checks everything that does not
// need the sweep's points built.
func loadBase(file string, data []byte) (*loaded, ErrorList) {
	root, errs := parseYAML(file, data)
	if errs != nil {
		return nil, errs
	}
	s, d := decodeRoot(file, root)
	st := &loaded{file: file, root: root, spec: s, d: d, pointNodes: d.pointNodes, baseSeen: maps.Clone(d.seen)}
	st.check()
	return st, d.errs
}

// checkFields checks every value of the spec against its tags.
func (st *loaded) checkFields() {
	checkFields(st.d, reflect.ValueOf(st.spec).Elem(), "", field{})
}

// check runs the checks of one spec, decoded from a file or built in Go,
// that do not need the sweep's points built.
func (st *loaded) check() {
	st.checkFields()
	st.checkName()
	st.checkModels()
	st.checkSweep()
	st.checkLabels()
	st.checkPlots()
	st.checkRequestRows()
	st.checkHAR()
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

func (st *loaded) checkName() {
	s, d := st.spec, st.d
	n := d.node("name")
	switch {
	case n == nil && s.Name == "":
		d.errorf(st.root, "name", "required: a short name such as connection-models (lower-case letters, digits and hyphens)")
	case !nameRE.MatchString(s.Name):
		d.errorf(n, "name", "%q is not a name (1 to 64 lower-case letters, digits and hyphens, not starting with a hyphen)", s.Name)
	}
}

func (st *loaded) checkModels() {
	s, d := st.spec, st.d
	if len(s.Models) == 0 {
		n, _ := d.nodeFor("models")
		d.errorf(n, "models", "want at least one model (%s)", orList(modelNames()))
	}
	if len(s.Models) > maxModels {
		d.errorf(d.node("models"), "models", "%d models is too many (at most %d)", len(s.Models), maxModels)
	}
	for i := range s.Models {
		if d.node(fmt.Sprintf("models[%d]", i)) == nil {
			st.checkModelValues(i) // built in Go: the decoder did not check it
		}
	}
	for i, m := range s.Models {
		if m.Name == "" {
			continue // already reported
		}
		for j := range i {
			if s.Models[j].Label == m.Label {
				p := fmt.Sprintf("models[%d]", i)
				n, _ := d.nodeFor(p+".label", p)
				d.errorf(n, p, "label %q is already used by models[%d]; give one of them a label: option", m.Label, j)
				break
			}
		}
	}
}

// checkModelValues checks models[i] of a Spec built in Go the way the
// decoder checks an entry of the file: a known name, and each option the
// model takes in its range. Options the model does not take are set to
// their defaults, as a file cannot give them.
func (st *loaded) checkModelValues(i int) {
	d, m := st.d, &st.spec.Models[i]
	path := fmt.Sprintf("models[%d]", i)
	def, ok := newModel(m.Name)
	if !ok {
		if m.Name == "" {
			d.errorf(nil, path, "missing model name (use one of %s)", orList(modelNames()))
		} else {
			d.errorf(nil, path, "unknown model %q (use %s)", m.Name, orList(modelNames()))
		}
		m.Name = ""
		return
	}
	check := ModelSpec{Name: m.Name}
	for _, o := range m.optionNames() {
		var text string
		switch o {
		case "connections":
			text = strconv.Itoa(m.Connections)
		case "depth":
			text = strconv.Itoa(m.Depth)
		case "shards":
			text = strconv.Itoa(m.Shards)
		case "start":
			text = m.Start
		case "coalesce":
			text = strconv.FormatBool(!m.NoCoalesce)
		case "label":
			text = m.Label
		}
		d.setModelOption(&check, o, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: text}, path+"."+o)
	}
	if !m.Accepts("depth") {
		m.Depth = def.Depth
	}
	if !m.Accepts("shards") {
		m.Shards = def.Shards
	}
	if !m.Accepts("start") {
		m.Start = def.Start
	}
	if !m.Accepts("coalesce") {
		m.NoCoalesce = def.NoCoalesce
	}
}

// labels returns the model labels.
func (s *Spec) labels() []string {
	var ls []string
	for _, m := range s.Models {
		if m.Label != "" {
			ls = append(ls, m.Label)
		}
	}
	return ls
}

// unsweepable are the top-level keys a sweep may not set.
var unsweepable = map[string]string{
	"name":        "the name names the output folder",
	"title":       "the title is not a setting",
	"description": "the description is not a setting",
	"repeat":      "repeat applies to the whole experiment",
	"models":      "every point runs every model already; sweep a model option with model.<option>",
	"sweep":       "a sweep cannot sweep itself",
	"plots":       "plots are not a setting",
	"labels":      "labels name swept values; they are not a setting",
	"outputs":     "outputs are files, not a setting",
}

var segRE = regexp.MustCompile(`^([a-z_0-9]+)((?:\[[0-9]{1,6}\])*)$`)
var indexRE = regexp.MustCompile(`\[([0-9]+)\]`)

// parseSweepKey resolves a sweep key against the Spec type. It returns the
// path segments, or the option of a model.<option> key, or a message.
func parseSweepKey(key string) (segs []pathSeg, option, msg string) {
	if len(key) > maxQuoted {
		return nil, "", fmt.Sprintf("%q is not a key path (%d bytes: no key is that long)", clip(key, 64), len(key))
	}
	if opt, ok := strings.CutPrefix(key, "model."); ok {
		switch opt {
		case "connections", "depth", "shards", "start":
			return nil, opt, ""
		case "label":
			return nil, "", "model labels cannot be swept"
		}
		return nil, "", fmt.Sprintf("unknown model option %q (sweepable: connections, depth, shards, start)", opt)
	}
	if key == "model" {
		return nil, "", "every point runs every model already; sweep a model option with model.<option>"
	}
	t := reflect.TypeFor[Spec]()
	where := "the top level"
	parts := strings.Split(key, ".")
	for i, part := range parts {
		m := segRE.FindStringSubmatch(part)
		if m == nil {
			return nil, "", fmt.Sprintf("%q is not a key path (keys joined by dots, e.g. network.rtt or page.objects[0].size)", key)
		}
		name := m[1]
		if i == 0 {
			if why, bad := unsweepable[name]; bad {
				return nil, "", fmt.Sprintf("%s cannot be swept: %s", name, why)
			}
		}
		if t.Kind() != reflect.Struct || isLeafType(t) {
			return nil, "", fmt.Sprintf("%s has no keys", strings.Join(parts[:i], "."))
		}
		fs := fieldsOf(t)
		j := slices.IndexFunc(fs, func(f field) bool { return f.key == name })
		if j < 0 {
			known := keysOf(t)
			msg := fmt.Sprintf("unknown key %s in %s (known: %s)", name, where, strings.Join(known, ", "))
			if s := suggest(name, known); s != "" {
				msg += fmt.Sprintf("; did you mean %s?", s)
			}
			return nil, "", msg
		}
		t = t.Field(fs[j].index).Type
		if fs[j].reserved != "" || reflect.PointerTo(t).Implements(reflect.TypeFor[nodeDecoder]()) {
			return nil, "", fmt.Sprintf("%s cannot be swept", strings.Join(parts[:i+1], "."))
		}
		segs = append(segs, pathSeg{key: name, index: -1})
		for _, im := range indexRE.FindAllStringSubmatch(m[2], -1) {
			if t.Kind() != reflect.Slice {
				return nil, "", fmt.Sprintf("%s is not a list", strings.Join(parts[:i+1], "."))
			}
			n, _ := strconv.Atoi(im[1])
			segs = append(segs, pathSeg{index: n})
			t = t.Elem()
			if reflect.PointerTo(t).Implements(reflect.TypeFor[nodeDecoder]()) {
				return nil, "", fmt.Sprintf("%s cannot be swept", part)
			}
		}
		where = strings.Join(parts[:i+1], ".")
	}
	return segs, "", ""
}

// isLeafType reports whether t parses itself from a scalar.
func isLeafType(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]())
}

func segsString(segs []pathSeg) string {
	var b strings.Builder
	for _, s := range segs {
		if s.index >= 0 {
			fmt.Fprintf(&b, "[%d]", s.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

// canPatch reports why a value cannot be set at key path segs in the
// file's tree n (only missing mappings may be created).
func canPatch(n *yaml.Node, segs []pathSeg) error {
	parent := "the file" // the key path of n, for messages
	for i, sg := range segs {
		if i > 0 {
			parent = segsString(segs[:i])
		}
		n = resolve(n)
		switch {
		case sg.index >= 0 && (n == nil || n.Kind != yaml.SequenceNode):
			return errors.New("not a list in the file")
		case sg.index >= 0 && sg.index >= len(n.Content):
			return fmt.Errorf("[%d] is past the end of the list (%d entries in the file)", sg.index, len(n.Content))
		case sg.index >= 0:
			n = n.Content[sg.index]
		case n == nil || isNull(n):
			n = nil // a mapping patch creates; what follows is missing too
		case n.Kind != yaml.MappingNode:
			// The key's parent is not a mapping (e.g. arrival: 10/s, a
			// short form, when interval is swept): name the parent.
			return fmt.Errorf("%s is not a mapping in the file, so it has no key %s; write it as a mapping", parent, sg.key)
		default:
			var next *yaml.Node // nil when the key is missing: patch adds it
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := resolve(n.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == sg.key {
					next = n.Content[i+1]
					break
				}
			}
			n = next
		}
	}
	return nil
}

// axisNumber returns the output number of a decoded leaf and its unit
// kind, or ok=false when the value is text, a list or a mapping.
func axisNumber(v reflect.Value) (num float64, kind string, ok bool) {
	switch x := v.Interface().(type) {
	case Duration:
		return x.MS(), "ms", true
	case Rate:
		return float64(x), "bps", true
	case Size:
		return float64(x), "bytes", true
	case Probability:
		return float64(x), "p", true
	case PerSecond:
		return float64(x), "per_s", true
	case QueueSize:
		if x.Packets != 0 {
			return float64(x.Packets), "packets", true
		}
		return float64(x.Bytes), "bytes", true
	case DefaultTrue:
		if x.Bool() {
			return 1, "bool", true
		}
		return 0, "bool", true
	case bool:
		if x {
			return 1, "bool", true
		}
		return 0, "bool", true
	case int:
		return float64(x), "int", true
	case int64:
		return float64(x), "int", true
	case uint64:
		return float64(x), "int", true
	}
	return 0, "", false
}

// checkSweep resolves every sweep key and checks every value on its own,
// decoding it once into the type at its key path, and computes
// SweepValue.Value. The values of a loaded file come with their nodes;
// those of a Spec built in Go (or changed since Load) are read from their
// texts.
func (st *loaded) checkSweep() {
	s, d := st.spec, st.d
	if len(s.Sweep) == 0 {
		return
	}
	sweepNode, _ := d.nodeFor("sweep")
	total := 0
	taken := make(map[string]bool, len(s.Sweep))
	for _, sa := range s.Sweep {
		keyNode := d.node("sweep." + sa.Key)
		if taken[sa.Key] {
			d.errorf(keyNode, "sweep."+sa.Key, "duplicate key")
			continue
		}
		taken[sa.Key] = true
		if len(sa.Values) == 0 {
			d.errorf(keyNode, "sweep."+sa.Key, "want at least one value")
			continue
		}
		a := &axis{key: sa.Key, keyNode: keyNode, values: slices.Clone(sa.Values)}
		a.nodes = make([]*yaml.Node, len(a.values))
		a.vals = make([]*sweptValue, len(a.values))
		byText := st.cache[sa.Key]
		fileNodes := st.sweepNodes(sa.Key)
		text := isTextKey(sa.Key)
		for i, v := range a.values {
			switch {
			case i < len(fileNodes):
				a.nodes[i] = fileNodes[i]
			case byText[v.Text] != nil:
				a.vals[i] = byText[v.Text]
				a.nodes[i] = byText[v.Text].node
			default:
				a.nodes[i] = valueNode(v.Text, text)
			}
		}
		st.axes = append(st.axes, a)
		total += len(a.nodes)
	}
	if total > maxSweepValues {
		d.errorf(sweepNode, "sweep", "%d values is too many (at most %d over all keys)", total, maxSweepValues)
		return
	}
	for _, a := range st.axes {
		st.checkAxis(a)
	}
	st.checkOverlaps()
	// Store the numbers back into the Spec.
	s.Sweep = s.Sweep[:0]
	for _, a := range st.axes {
		s.Sweep = append(s.Sweep, SweepAxis{Key: a.key, Values: a.values})
	}
	st.checkRunCount(sweepNode)
}

// sweepNodes returns the value nodes of sweep key k in the file being
// loaded (nil in Points).
func (st *loaded) sweepNodes(k string) []*yaml.Node {
	if st.root == nil {
		return nil
	}
	sn := resolve(st.d.nodes["sweep"])
	if sn == nil || sn.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(sn.Content); i += 2 {
		if kn := resolve(sn.Content[i]); kn != nil && kn.Kind == yaml.ScalarNode && kn.Value == k {
			var ns []*yaml.Node
			for _, c := range resolve(sn.Content[i+1]).Content {
				if c = resolve(c); c != nil {
					ns = append(ns, c)
				}
			}
			return ns
		}
	}
	return nil
}

// checkLabels matches labels to the sweep: a swept key, one name per
// value, and stores each name in its SweepValue.
func (st *loaded) checkLabels() {
	s, d := st.spec, st.d
	for _, l := range s.Labels {
		path := "labels." + l.Key
		at, _ := d.nodeFor(path, "labels")
		a := st.axisFor(l.Key)
		if a == nil {
			d.errorf(at, path, "%q is not a swept key (%s)", l.Key, st.sweptText())
			continue
		}
		if len(l.Names) != len(a.values) {
			d.errorf(at, path, "%d names for %d values: give one per value, in sweep order", len(l.Names), len(a.values))
			continue
		}
		ok := true
		firstAt := make(map[string]int, len(l.Names))
		for j, name := range l.Names {
			k, named := firstAt[name]
			if !named {
				firstAt[name] = j
			}
			if name == "" || utf8.RuneCountInString(name) > 40 || strings.ContainsFunc(name, unicode.IsControl) {
				n, _ := d.nodeFor(fmt.Sprintf("%s[%d]", path, j), path)
				d.errorf(n, fmt.Sprintf("%s[%d]", path, j), "%q: a name is 1 to 40 characters, no control characters", name)
				ok = false
			} else if named {
				n, _ := d.nodeFor(fmt.Sprintf("%s[%d]", path, j), path)
				d.errorf(n, fmt.Sprintf("%s[%d]", path, j), "%q names two values (%d and %d)", name, k, j)
				ok = false
			}
		}
		if ok {
			for j, name := range l.Names {
				a.values[j].Label = name
			}
		}
	}
}

// checkOverlaps reports keys that would set the same value twice: one
// key path is the other's or a prefix of it (tcp and tcp.mss). Each
// later key is reported, naming the first earlier one it overlaps; maps
// of the paths and their prefixes keep it linear in the keys.
func (st *loaded) checkOverlaps() {
	full := map[string]*axis{}   // a key's path -> the first key with it
	within := map[string]*axis{} // a proper prefix of a key's path -> the first key under it
	for _, a := range st.axes {
		if a.segs == nil {
			continue
		}
		var over *axis
		for k := len(a.segs); k >= 1 && over == nil; k-- {
			over = full[segsString(a.segs[:k])]
		}
		path := segsString(a.segs)
		if over == nil {
			over = within[path]
		}
		if over != nil {
			st.d.errorf(a.keyNode, "sweep."+a.key, "overlaps the swept key %s", over.key)
			a.ok = false
		}
		if full[path] == nil {
			full[path] = a
		}
		for k := 1; k < len(a.segs); k++ {
			if p := segsString(a.segs[:k]); within[p] == nil {
				within[p] = a
			}
		}
	}
}

func (st *loaded) checkAxis(a *axis) {
	d := st.d
	p := "sweep." + a.key
	segs, opt, msg := parseSweepKey(a.key)
	if msg != "" {
		d.errorf(a.keyNode, p, "%s", msg)
		return
	}
	a.segs, a.option, a.keyOK = segs, opt, true
	// A value listed again is one problem however many copies there are
	// (found with a map: a sweep may list thousands of values), and only
	// its first copy is decoded.
	first := make([]int, len(a.values)) // index of the first copy of each value's text
	byText := make(map[string]int, len(a.values))
	copies := map[string]int{}
	var again []int // the second copy of each text listed more than once
	for i, v := range a.values {
		j, seen := byText[v.Text]
		if !seen {
			byText[v.Text] = i
			first[i] = i
			continue
		}
		first[i] = j
		if copies[v.Text] == 0 {
			again = append(again, i)
		}
		copies[v.Text]++
	}
	for _, i := range again {
		v := a.values[i]
		if n := copies[v.Text] + 1; n == 2 {
			d.errorf(a.nodes[i], p, "%s is listed twice (also item %d); list each value once", v.Text, first[i]+1)
		} else {
			d.errorf(a.nodes[i], p, "%s is listed %d times (first as item %d); list each value once", v.Text, n, first[i]+1)
		}
	}
	if opt != "" && !slices.ContainsFunc(st.spec.Models, func(m ModelSpec) bool { return m.Accepts(opt) }) {
		d.errorf(a.keyNode, p, "no model in models takes the %s option", opt)
		return
	}
	a.ok = true
	kinds := map[string]bool{}
	nums := make([]float64, len(a.nodes))
	numeric := true
	for i, vn := range a.nodes {
		if first[i] != i {
			continue
		}
		sv := a.vals[i]
		if sv == nil {
			sv = st.decodeValue(a, vn)
		}
		if sv == nil {
			a.ok = false
			continue
		}
		a.vals[i] = sv
		if !sv.isNum {
			numeric = false
		}
		kinds[sv.kind] = true
		nums[i] = sv.num
	}
	if !a.ok {
		return
	}
	a.numeric = numeric && len(kinds) == 1
	for i := range a.values {
		if a.numeric {
			a.values[i].Value = nums[first[i]]
		} else {
			a.values[i].Value = float64(i)
		}
	}
	if len(again) > 0 {
		a.ok = false
		return
	}
	if !a.numeric {
		return
	}
	// Different texts of one number (50ms, 0.05s): one problem per number.
	byNum := make(map[float64]int, len(a.values))
	same := map[float64][]int{}
	var nums2 []float64 // numbers listed more than once, in file order of their second item
	for i, v := range a.values {
		if _, seen := byNum[v.Value]; !seen {
			byNum[v.Value] = i
			continue
		}
		if len(same[v.Value]) == 0 {
			nums2 = append(nums2, v.Value)
		}
		same[v.Value] = append(same[v.Value], i)
	}
	for _, num := range nums2 {
		j, is := byNum[num], same[num]
		if len(is) == 1 {
			d.errorf(a.nodes[is[0]], p, "%s is the same value as %s (item %d); list each value once", a.values[is[0]].Text, a.values[j].Text, j+1)
		} else {
			more := fmt.Sprintf("so are %d more items", len(is)-1)
			if len(is) == 2 {
				more = "so is 1 more item"
			}
			d.errorf(a.nodes[is[0]], p, "%s is the same value as %s (item %d), and %s; list each value once", a.values[is[0]].Text, a.values[j].Text, j+1, more)
		}
		a.ok = false
	}
}

// decodeValue decodes one value of axis a on its own, into its key's
// type with its key's checks, and returns it, or nil when it is invalid
// (the problem is reported). Decoding is the same at every node of the
// tree, so the value is not patched into the file: its cost does not
// grow with the file.
func (st *loaded) decodeValue(a *axis, vn *yaml.Node) *sweptValue {
	d := st.d
	if a.option != "" {
		for _, m := range st.spec.Models {
			if !m.Accepts(a.option) {
				continue
			}
			if !d.setModelOption(&m, a.option, vn, "model."+a.option) {
				return nil
			}
			sv := &sweptValue{node: vn, kind: "int", isNum: true}
			switch a.option {
			case "connections":
				sv.v, sv.num = reflect.ValueOf(m.Connections), float64(m.Connections)
			case "depth":
				sv.v, sv.num = reflect.ValueOf(m.Depth), float64(m.Depth)
			case "shards":
				sv.v, sv.num = reflect.ValueOf(m.Shards), float64(m.Shards)
			default:
				sv.v, sv.kind, sv.isNum = reflect.ValueOf(m.Start), "text", false
			}
			return sv
		}
		return nil
	}
	var err error
	if st.root != nil {
		err = canPatch(st.root, a.segs)
	} else {
		err = canSet(reflect.ValueOf(st.spec).Elem(), a.segs)
	}
	if err != nil {
		d.errorf(a.keyNode, "sweep."+a.key, "cannot set %s: %s", segsString(a.segs), err)
		return nil
	}
	path := segsString(a.segs)
	if !a.def.IsValid() {
		var found bool
		if a.def, a.f, found = defaultAt(a.segs); !found {
			return nil
		}
	}
	v := reflect.New(a.def.Type()).Elem()
	v.Set(a.def)
	f := a.f
	pd := newDecoder(st.file, st.root)
	pd.decode(vn, path, v, f)
	checkFields(pd, v, path, f)
	bad := false
	for _, e := range pd.errs {
		if !st.baseSeen[*e] {
			bad = true
		}
		d.addError(*e)
	}
	if bad {
		return nil
	}
	sv := &sweptValue{v: v, node: vn, nodes: pd.nodes}
	if vn.Kind != yaml.ScalarNode {
		sv.kind = "list"
		return sv
	}
	sv.num, sv.kind, sv.isNum = axisNumber(v)
	if !sv.isNum {
		sv.kind = "text"
	}
	return sv
}

// defaultAt returns the default at key path segs (a
// list entry's default for an index), and the field that holds it.
func defaultAt(segs []pathSeg) (reflect.Value, field, bool) {
	v := reflect.ValueOf(defaultSpec()).Elem()
	var f field
	for _, sg := range segs {
		if sg.index >= 0 {
			if v.Kind() != reflect.Slice {
				return reflect.Value{}, field{}, false
			}
			v, f = reflect.New(v.Type().Elem()).Elem(), field{}
			if df, ok := v.Addr().Interface().(defaulter); ok {
				df.setDefaults()
			}
			continue
		}
		if v.Kind() != reflect.Struct {
			return reflect.Value{}, field{}, false
		}
		fs := fieldsOf(v.Type())
		j := slices.IndexFunc(fs, func(f field) bool { return f.key == sg.key })
		if j < 0 {
			return reflect.Value{}, field{}, false
		}
		f = fs[j]
		v = v.Field(f.index)
	}
	return v, f, true
}

// canSet reports why value v (a Spec) has no place at key path segs: a
// list index past the end of its list.
func canSet(v reflect.Value, segs []pathSeg) error {
	_, err := fieldValue(v, segs)
	return err
}

// fieldValue returns the value at key path segs inside v.
func fieldValue(v reflect.Value, segs []pathSeg) (reflect.Value, error) {
	for _, sg := range segs {
		if sg.index >= 0 {
			if v.Kind() != reflect.Slice {
				return reflect.Value{}, errors.New("not a list")
			}
			if sg.index >= v.Len() {
				if v.Len() == 0 {
					return reflect.Value{}, errors.New("not a list in the spec (it is empty)")
				}
				return reflect.Value{}, fmt.Errorf("[%d] is past the end of the list (%d entries)", sg.index, v.Len())
			}
			v = v.Index(sg.index)
			continue
		}
		fs := fieldsOf(v.Type())
		j := slices.IndexFunc(fs, func(f field) bool { return f.key == sg.key })
		if j < 0 {
			return reflect.Value{}, fmt.Errorf("%s is not a key", sg.key)
		}
		v = v.Field(fs[j].index)
	}
	return v, nil
}

func (st *loaded) checkRunCount(sweepNode *yaml.Node) {
	s := st.spec
	n := 1
	for _, a := range st.axes {
		n *= max(len(a.nodes), 1)
		if n > maxRuns {
			break
		}
	}
	runs := n * max(len(s.Models), 1)
	if runs <= maxRuns {
		runs *= max(s.Repeat, 1)
	}
	if runs > maxRuns {
		st.d.errorf(sweepNode, "sweep", "%d points x %d models x %d repeats is more than %d runs", n, len(s.Models), s.Repeat, maxRuns)
	}
}

// checkRequestRows bounds the total output: runs x requests per run (the
// rows of requests.csv), counted with the page and visits of the file
// (a swept page is counted as the file has it).
func (st *loaded) checkRequestRows() {
	s, d := st.spec, st.d
	objects := 0
	for _, o := range s.Page.Objects {
		objects += max(o.Count, 0)
	}
	perRun := mulSat(max(s.Client.Visits, 1), 1+objects)
	if s.HasClients() {
		perRun = clientRequests(s)
	}
	runs := s.RunCount()
	if runs > maxRuns {
		return // reported already
	}
	if rows := mulSat(runs, perRun); rows > maxRequestRows {
		n, p := d.nodeFor("sweep", "repeat", "page.objects")
		d.errorf(n, p, "%d runs x %d requests each is %d requests in all, more than %d (the rows of requests.csv); lower repeat, the sweep, the models, client.visits or the objects",
			runs, perRun, rows, maxRequestRows)
	}
}

// sweptKeys returns the valid swept keys.
func (st *loaded) sweptKeys() []string {
	var ks []string
	for _, a := range st.axes {
		if a.keyOK {
			ks = append(ks, a.key)
		}
	}
	return ks
}

// sweptText lists the swept keys for an error message: "swept: a, b", or
// "nothing is swept".
func (st *loaded) sweptText() string {
	if ks := st.sweptKeys(); len(ks) > 0 {
		return "swept: " + strings.Join(ks, ", ")
	}
	return "nothing is swept"
}

func (st *loaded) axisFor(key string) *axis {
	for _, a := range st.axes {
		if a.key == key {
			return a
		}
	}
	return nil
}

func (st *loaded) checkPlots() {
	s, d := st.spec, st.d
	if len(s.Plots) > maxPlots {
		d.errorf(d.node("plots"), "plots", "%d plots is too many (at most %d)", len(s.Plots), maxPlots)
		return
	}
	swept := st.sweptKeys()
	sweptList := st.sweptText()
	labels := s.labels()
	for i := range s.Plots {
		p := &s.Plots[i]
		path := fmt.Sprintf("plots[%d]", i)
		at := func(key string) *yaml.Node { n, _ := d.nodeFor(path+"."+key, path); return n }
		if p.Kind == "" {
			p.Kind = PlotLine
		}
		perRun := p.Kind == PlotWaterfall || p.Kind == PlotCwnd || p.Kind == PlotSequence || p.Kind == PlotServer || p.Kind == PlotCDF || p.Kind == PlotLadder
		if (p.Kind == PlotServer || p.Kind == PlotCDF) && !s.HasClients() {
			d.errorf(at("kind"), path+".kind", "a %s plot shows client populations: the spec needs clients:", p.Kind)
		}
		if p.Model != "" && !slices.Contains(labels, p.Model) {
			d.errorf(at("model"), path+".model", "%q is not a model label (labels: %s)", p.Model, strings.Join(labels, ", "))
		}
		// Log scales are drawn by line plots (both axes) and CDFs (the
		// time axis); elsewhere the key would be silently ignored.
		if p.LogX && p.Kind != PlotLine && p.Kind != PlotCDF {
			d.errorf(at("log_x"), path+".log_x", "log_x is only for line and cdf plots")
		}
		if p.LogY && p.Kind != PlotLine {
			d.errorf(at("log_y"), path+".log_y", "log_y is only for line plots")
		}
		if p.Style != "" && p.Kind != PlotLine {
			d.errorf(at("style"), path+".style", "style is only for line plots")
		}
		if perRun {
			for _, kv := range [][2]string{{"x", p.X}, {"y", p.Y}, {"series", p.Series}} {
				if k := kv[0]; d.node(path+"."+k) != nil || kv[1] != "" {
					d.errorf(at(k), path+"."+k, "%s is only for line and bar plots", k)
				}
			}
			p.X, p.Y, p.Series = "", "", ""
			if p.Model == "" && len(labels) > 0 && p.Kind != PlotCDF {
				p.Model = labels[0] // a cdf plot without a model shows every model
			}
			switch p.Kind {
			case PlotWaterfall, PlotServer, PlotCDF:
				if p.Connection != 0 {
					d.errorf(at("connection"), path+".connection", "connection is only for cwnd, sequence and ladder plots")
				}
			case PlotSequence:
				if p.Connection == 0 {
					if d.node(path+".connection") != nil {
						d.errorf(at("connection"), path+".connection", "a sequence plot shows one connection: 1 or more")
					}
					p.Connection = 1
				}
			}
			if s.Repeat >= 1 && p.Run >= s.Repeat {
				d.errorf(at("run"), path+".run", "%d is not below repeat (%d)", p.Run, s.Repeat)
			}
		} else {
			for _, kv := range []struct {
				k string
				v int
			}{{"connection", p.Connection}, {"run", p.Run}} {
				if k := kv.k; d.node(path+"."+k) != nil || kv.v != 0 {
					d.errorf(at(k), path+"."+k, "%s is only for waterfall, cwnd, sequence and ladder plots", k)
				}
			}
			p.Connection, p.Run = 0, 0
			switch {
			case p.X == "" && p.Kind == PlotBar:
				p.X = "model"
			case p.X == "" && len(swept) == 0:
				d.errorf(at("x"), path+".x", "a line plot needs a swept key for x, and nothing is swept")
			case p.X == "":
				p.X = swept[0]
			case p.X == "model" && p.Kind == PlotBar:
			case !slices.Contains(swept, p.X):
				also := ""
				if p.Kind == PlotBar {
					also = " or model"
				}
				d.errorf(at("x"), path+".x", "%q is not a swept key (%s)%s", p.X, sweptList, also)
			}
			if p.Y == "" {
				p.Y = "plt_ms"
			} else if !slices.Contains(s.MetricNames(), p.Y) {
				d.errorf(at("y"), path+".y", "%q is not a metric (use one of %s)", p.Y, strings.Join(s.MetricNames(), ", "))
			}
			switch {
			case p.Series == "" && p.X == "model":
				p.Series = "none"
			case p.Series == "":
				p.Series = "model"
			case p.Series == p.X:
				d.errorf(at("series"), path+".series", "%q is already the x axis", p.Series)
			case p.Series == "model" || p.Series == "none":
			case !slices.Contains(swept, p.Series):
				d.errorf(at("series"), path+".series", "%q is not model, none or a swept key (%s)", p.Series, sweptList)
			}
		}
		st.checkPlotPoint(i, p, perRun)
	}
}

func (st *loaded) checkPlotPoint(i int, p *PlotSpec, perRun bool) {
	d := st.d
	path := fmt.Sprintf("plots[%d].point", i)
	nodes := st.pointNodes[i]
	for j := range p.Point {
		ps := &p.Point[j]
		kp := path + "." + ps.Key
		var vn *yaml.Node
		if j < len(nodes) {
			vn = nodes[j]
		} else {
			vn = valueNode(ps.Text, isTextKey(ps.Key)) // built in Go
		}
		a := st.axisFor(ps.Key)
		switch {
		case a == nil:
			d.errorf(vn, kp, "%q is not a swept key", ps.Key)
			continue
		case !a.ok:
			continue
		case !perRun && (ps.Key == p.X || ps.Key == p.Series):
			d.errorf(vn, kp, "%s is an axis of the plot; it cannot also be fixed", ps.Key)
			continue
		}
		k := slices.IndexFunc(a.values, func(v SweepValue) bool { return v.Text == ps.Text })
		if k < 0 && a.numeric && vn != nil {
			// Compare numbers, so "0.1s" finds "100ms"; the value's own
			// problems are not reported here: it just matches nothing.
			probe := *st
			probe.d = newDecoder(st.file, st.root)
			if sv := probe.decodeValue(a, vn); sv != nil && sv.isNum {
				k = slices.IndexFunc(a.values, func(v SweepValue) bool { return v.Value == sv.num })
			}
		}
		if k < 0 {
			var vs []string
			for _, v := range a.values {
				vs = append(vs, v.Text)
			}
			d.errorf(vn, kp, "%s is not one of the swept values (%s)", ps.Text, strings.Join(vs, ", "))
			continue
		}
		ps.Text, ps.Value = a.values[k].Text, a.values[k].Value
	}
	if perRun {
		for _, a := range st.axes {
			if a.ok && len(a.values) > 0 && !slices.ContainsFunc(p.Point, func(s PointSetting) bool { return s.Key == a.key }) {
				p.Point = append(p.Point, PointSetting{Key: a.key, Text: a.values[0].Text, Value: a.values[0].Value})
			}
		}
	}
}

// checkConfig checks the rules that involve several keys of one point;
// base holds the problems already found in the spec the point copies.
func checkConfig(s *Spec, d *decoder, base ErrorList) {
	pkt := int64(s.TCP.MSS) + 40
	if q := s.Network.Queue; q.Bytes != 0 && int64(q.Bytes) < pkt {
		n, p := d.nodeFor("network.queue", "tcp.mss")
		d.errorf(n, p, "a queue of %s holds no full packet (mss %d + 40 header bytes = %d bytes)", q.Bytes, s.TCP.MSS, pkt)
	}
	checkTCP(s, d, base)
	checkTLS(s, d)
	total := 0
	for _, o := range s.Page.Objects {
		total += o.Count
	}
	if total > maxObjects {
		n, p := d.nodeFor("page.objects")
		d.errorf(n, p, "%d objects is too many (at most %d)", total, maxObjects)
	}
	checkClients(s, d)
	checkProxies(s, d)
}

// tcpKeys names the keys of the tcp section that tcp.Config.Validate's
// messages start with (its field names), most specific first.
var tcpKeys = []struct{ field, key, other string }{
	{"ReceiveWindow", "receive_window", "mss"},
	{"MinRTO", "min_rto", "initial_rto"},
	{"MSS", "mss", ""},
	{"CC", "cc", ""},
}

// yamlFieldNames writes tcp.Config's field names as the keys of the tcp
// section, in tcp's messages.
var yamlFieldNames = strings.NewReplacer("ReceiveWindow", "receive_window", "InitialRTO", "initial_rto",
	"MinRTO", "min_rto", "MaxRTO", "max_rto", "MSS", "mss")

// checkTCP checks the tcp section with tcp.Config.Validate, the rules
// being tcp's; experiments adds the position of the key the file sets.
// It runs beside the other checks of a point (so a file gets every
// problem at once), but not when a tcp key is already reported as out of
// range, which would say the same again.
func checkTCP(s *Spec, d *decoder, base ErrorList) {
	for _, errs := range []ErrorList{base, d.errs} {
		for _, e := range errs {
			if strings.HasPrefix(e.Path, "tcp.") || strings.HasPrefix(e.Path, "sweep.tcp.") {
				return
			}
		}
	}
	err := tcpConfig(s.TCP).Validate()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, k := range tcpKeys {
		rest, ok := strings.CutPrefix(msg, k.field+": ")
		if !ok {
			continue
		}
		keys := []string{"tcp." + k.key}
		if k.other != "" {
			keys = append(keys, "tcp."+k.other)
		}
		n, p := d.nodeFor(keys...)
		d.errorf(n, p, "%s %s", k.key, yamlFieldNames.Replace(rest))
		return
	}
	n, p := d.nodeFor("tcp")
	d.errorf(n, p, "%s", msg)
}

// checkModelConfigs checks the configuration of each model at point s
// with httpmodel.Config.Validate: the rules are httpmodel's, and
// experiments adds the position of the key that the file sets. It runs
// on a spec whose values are otherwise valid, so tcp's own rules, which
// Validate checks again, have passed checkTCP already.
func checkModelConfigs(s *Spec, d *decoder) {
	for i, m := range s.Models {
		if m.Name == "" {
			continue // reported already
		}
		cfg, err := modelConfig(s, m, false)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil {
			continue
		}
		var n *yaml.Node
		var p string
		switch {
		case errors.Is(err, httpmodel.ErrEmptyResponse):
			n, p = d.nodeFor("http.response_header_bytes", "page.objects", "page.html")
		case strings.HasPrefix(err.Error(), "httpmodel: clients["):
			i, _, _ := strings.Cut(strings.TrimPrefix(err.Error(), "httpmodel: clients["), "]")
			n, p = d.nodeFor("clients["+i+"]", "clients")
		case strings.HasPrefix(err.Error(), "httpmodel: proxies["), strings.HasPrefix(err.Error(), "httpmodel: servers["):
			list, _, _ := strings.Cut(strings.TrimPrefix(err.Error(), "httpmodel: "), "[")
			i, rest, _ := strings.Cut(strings.TrimPrefix(err.Error(), "httpmodel: "+list+"["), "]")
			at := list + "[" + i + "]"
			switch {
			case strings.Contains(rest, ": link loss "):
				n, p = d.nodeFor(at+".link.loss", at+".link", at)
			case strings.Contains(rest, " loops through "):
				n, p = d.nodeFor(at+".upstream", at)
			default:
				n, p = d.nodeFor(at, list)
			}
			// The key path names the proxy or server: drop httpmodel's
			// "proxies[i] (name): " from the message.
			if _, msg, ok := strings.Cut(rest, "): "); ok {
				d.errorf(n, p, "%s", msg)
				continue
			}
		case strings.HasPrefix(err.Error(), "httpmodel: server: "):
			n, p = d.nodeFor("server")
		default:
			n, p = d.nodeFor(fmt.Sprintf("models[%d]", i), "http.version")
		}
		d.errorf(n, p, "%s", strings.TrimPrefix(err.Error(), "httpmodel: "))
	}
}
