package experiments

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The decoder walks the yaml.Node tree itself instead of calling
// yaml.Decoder.Decode with KnownFields(true). It is at least as strict
// (every unknown key is an error) and it can do what the yaml package
// cannot: report every problem rather than the first, give the column and
// the key path of each, list the known keys, and decode a node tree that
// a sweep has patched (node.Decode would drop KnownFields, go-yaml issue
// #460). Leaf types still parse themselves in UnmarshalYAML.

// nodeBudget bounds the nodes one decode visits, so that aliases that
// expand exponentially ("billion laughs") cannot hang the loader.
const nodeBudget = 200000

type decoder struct {
	file   string
	errs   ErrorList
	seen   map[Error]bool
	nodes  map[string]*yaml.Node // the value node decoded at each key path
	root   *yaml.Node
	budget int
	// pointNodes holds each plot's point value nodes, by plot index.
	pointNodes map[int][]*yaml.Node

	// perKey counts the problems found at each key path; past
	// maxErrorsPerKey they are not listed, and summary holds the line
	// that counts them (listed in errs).
	perKey  map[string]int
	summary map[string]*Error

	// over and parent, when set, hold the nodes of the key paths this
	// decoder did not decode: a point's checks find the nodes of its
	// swept values in over, the file's in parent.
	over   []map[string]*yaml.Node
	parent *decoder
}

// newDecoder returns a decoder for the tree at root. Its maps are made
// when first written: a sweep has a decoder for each value and each
// point, most of which find nothing wrong.
func newDecoder(file string, root *yaml.Node) *decoder {
	return &decoder{file: file, root: root, budget: nodeBudget}
}

// errorf records a problem at node n (or at the file's start when n is
// nil). Texts from the file that the message repeats are cut to
// maxQuoted bytes.
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = clip(s, maxQuoted)
		}
	}
	e := Error{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.addError(e)
}

// addError records a problem unless it is known already: the first
// maxErrorsPerKey at each key path, then one line at that path that
// counts the others, and at most maxErrors lines in all, then one that
// says so. Paths and messages are cut to maxMessage bytes.
func (d *decoder) addError(e Error) {
	e.Path = clip(e.Path, maxMessage)
	e.Msg = clip(e.Msg, maxMessage)
	if d.seen[e] {
		return
	}
	if d.seen == nil {
		d.seen, d.perKey, d.summary = map[Error]bool{}, map[string]int{}, map[string]*Error{}
	}
	d.seen[e] = true
	d.perKey[e.Path]++
	if n := d.perKey[e.Path]; n > maxErrorsPerKey && e.Path != "" {
		sum := d.summary[e.Path]
		if sum == nil {
			sum = &Error{File: e.File, Line: e.Line, Column: e.Column, Path: e.Path}
			d.summary[e.Path] = sum
			d.list(sum)
		}
		sum.Msg = fmt.Sprintf("and %d more problems here; fix the ones above first", n-maxErrorsPerKey)
		return
	}
	d.list(&e)
}

// list appends e to errs; past maxErrors, one line says there are more.
func (d *decoder) list(e *Error) {
	switch {
	case len(d.errs) < maxErrors:
		d.errs = append(d.errs, e)
	case len(d.errs) == maxErrors:
		d.errs = append(d.errs, tooMany(d.file, 0))
	}
}

// nodeFor returns the node of the first path that the file sets, or the
// root node.
func (d *decoder) nodeFor(paths ...string) (*yaml.Node, string) {
	for _, p := range paths {
		if n := d.node(p); n != nil {
			return n, p
		}
	}
	return d.root, paths[0]
}

// node returns the value node decoded at path p: this decoder's, else
// that of a swept value (over), else the parent decoder's; nil when no
// file sets p.
func (d *decoder) node(p string) *yaml.Node {
	if n := d.nodes[p]; n != nil {
		return n
	}
	for _, m := range d.over {
		if n := m[p]; n != nil {
			return n
		}
	}
	if d.parent != nil {
		return d.parent.node(p)
	}
	return nil
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 1000 {
			return nil
		}
		n = n.Alias
	}
	return n
}

// nodeDecoder is implemented by the spec types that are not plain structs,
// lists or scalar leaves.
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

// field describes one struct field that has a yaml key.
type field struct {
	key      string
	index    int
	rng      string // range tag, "lo..hi"
	enum     []string
	hostname bool
	maxLen   int    // text: at most this many characters (maxlen tag); 0 = no bound
	reserved string // a key kept for later: any value is this error
	omitZero bool   // omitempty: the zero value means "not set" (documented on the field)
}

var fieldCache sync.Map // reflect.Type -> []field

func fieldsOf(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("yaml")
		if !sf.IsExported() || tag == "-" || tag == "" {
			continue
		}
		key, opts, _ := strings.Cut(tag, ",")
		f := field{key: key, index: i, rng: sf.Tag.Get("range"), hostname: sf.Tag.Get("kind") == "hostname", reserved: sf.Tag.Get("reserved"), omitZero: opts == "omitempty"}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, "|")
		}
		if m := sf.Tag.Get("maxlen"); m != "" {
			n, err := strconv.Atoi(m)
			if err != nil || n <= 0 {
				panic(fmt.Sprintf("experiments: bad maxlen tag %q on %s.%s", m, t, sf.Name))
			}
			f.maxLen = n
		}
		fs = append(fs, f)
	}
	fieldCache.Store(t, fs)
	return fs
}

func keysOf(t reflect.Type) []string {
	var ks []string
	for _, f := range fieldsOf(t) {
		ks = append(ks, f.key)
	}
	return ks
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decode decodes node n into v, reporting problems under path.
func (d *decoder) decode(n *yaml.Node, path string, v reflect.Value, f field) {
	d.budget--
	if d.budget < 0 {
		if d.budget == -1 {
			d.errorf(n, path, "the document is too large (aliases expand to more than %d values)", nodeBudget)
		}
		return
	}
	orig := n
	n = resolve(n)
	if n == nil {
		d.errorf(orig, path, "alias chain too long")
		return
	}
	if d.nodes == nil {
		d.nodes = map[string]*yaml.Node{}
	}
	d.nodes[path] = n
	if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
		nd.decodeNode(d, n, path)
		return
	}
	if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
		if err := u.UnmarshalYAML(n); err != nil {
			d.errorf(n, path, "%s", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, path, v)
	case reflect.Slice:
		d.decodeSlice(n, path, v)
	case reflect.String:
		s, ok := d.scalar(n, path, "text")
		if !ok {
			return
		}
		if e, ok := matchEnum(s, f.enum); ok {
			s = e // words are written lower case; checkFields checks them
		}
		v.SetString(s)
	case reflect.Bool:
		s, ok := d.scalar(n, path, "true or false")
		if !ok {
			return
		}
		b, ok := parseBool(s)
		if !ok {
			d.errorf(n, path, "%q is not true or false", s)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		s, ok := d.scalar(n, path, "a whole number")
		if !ok {
			return
		}
		i, ok := parseInt(s)
		if !ok {
			d.errorf(n, path, "%q is not a whole number", s)
			return
		}
		v.SetInt(i)
	case reflect.Uint64:
		s, ok := d.scalar(n, path, "a whole number")
		if !ok {
			return
		}
		u, err := parseUint(s)
		if err != nil {
			d.errorf(n, path, "%q is not a whole number from 0 to %d", s, uint64(math.MaxUint64))
			return
		}
		v.SetUint(u)
	default:
		panic(fmt.Sprintf("experiments: no decoder for %s at %s", v.Type(), path))
	}
}

// scalar returns the text of a scalar node or reports what was wrong.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	s, err := scalarText(n, want)
	if err != nil {
		d.errorf(n, path, "%s", err)
		return "", false
	}
	return s, true
}

func (d *decoder) decodeStruct(n *yaml.Node, path string, v reflect.Value) {
	if isNull(n) {
		return // an empty section keeps its defaults
	}
	fs := fieldsOf(v.Type())
	if sd, ok := v.Addr().Interface().(scalarDecoder); ok && n.Kind == yaml.ScalarNode {
		sd.decodeScalar(d, n, path)
		return
	}
	if n.Kind != yaml.MappingNode {
		what := "want"
		if path == "" {
			what = "the experiment must be"
		}
		d.errorf(n, path, "%s a mapping with keys %s; got %s", what, strings.Join(keysOf(v.Type()), ", "), kindName(n))
		return
	}
	d.eachKey(n, path, func(k string, kn, vn *yaml.Node) {
		i := slices.IndexFunc(fs, func(f field) bool { return f.key == k })
		if i < 0 {
			d.unknownKey(kn, joinPath(path, k), k, keysOf(v.Type()))
			return
		}
		if fs[i].reserved != "" {
			d.errorf(vn, joinPath(path, k), "%s", fs[i].reserved)
			return
		}
		d.decode(vn, joinPath(path, k), v.Field(fs[i].index), fs[i])
	})
	if a, ok := v.Addr().Interface().(interface {
		afterDecode(d *decoder, n *yaml.Node, path string)
	}); ok {
		a.afterDecode(d, n, path) // page.har (har.go)
	}
	if r, ok := v.Addr().Interface().(interface{ requiredKeys() []string }); ok {
		for _, k := range r.requiredKeys() {
			if d.nodes[joinPath(path, k)] == nil {
				d.errorf(n, joinPath(path, k), "required")
			}
		}
	}
}

func (o *ObjectSpec) requiredKeys() []string { return []string{"size"} }

// scalarDecoder is a struct that a scalar may also write (arrival: all at
// once). Its keys stay key paths, so a sweep can set them.
type scalarDecoder interface {
	decodeScalar(d *decoder, n *yaml.Node, path string)
}

// eachKey calls fn for each key of mapping n in order, after checking
// that the key is a plain scalar that was not given before.
func (d *decoder) eachKey(n *yaml.Node, path string, fn func(key string, kn, vn *yaml.Node)) {
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := resolve(n.Content[i]), n.Content[i+1]
		if kn == nil || kn.Kind != yaml.ScalarNode {
			d.errorf(n.Content[i], path, "a key must be a plain name")
			continue
		}
		if kn.Tag == "!!merge" || (kn.Value == "<<" && kn.Style == 0) {
			d.errorf(kn, path, "merge keys (<<) are not supported; repeat the keys or use a sweep")
			continue
		}
		k := kn.Value
		if f := first[k]; f != nil {
			d.errorf(kn, joinPath(path, k), "duplicate key (first given at line %d)", f.Line)
			continue
		}
		first[k] = kn
		fn(k, kn, vn)
	}
}

func (d *decoder) unknownKey(kn *yaml.Node, path, key string, known []string) {
	msg := fmt.Sprintf("unknown key (known: %s)", strings.Join(known, ", "))
	if s := suggest(key, known); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	d.errorf(kn, path, "%s", msg)
}

type defaulter interface{ setDefaults() }

func (o *ObjectSpec) setDefaults() { *o = defaultObject() }

func (d *decoder) decodeSlice(n *yaml.Node, path string, v reflect.Value) {
	if isNull(n) {
		v.SetZero()
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "want a list, got %s", kindName(n))
		return
	}
	if len(n.Content) == 0 {
		v.SetZero() // an empty list is the same as no list
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		e := s.Index(i)
		if df, ok := e.Addr().Interface().(defaulter); ok {
			df.setDefaults()
		}
		d.decode(c, fmt.Sprintf("%s[%d]", path, i), e, field{})
	}
	v.Set(s)
}

// checkFields checks the values of v (at key path path, held in field
// f) against the rules of their struct tags: range, enum, maxlen, kind
// and reserved. It is the one check of these rules, for a decoded file
// and for a Spec built in Go alike; a problem is reported at the node of
// its key path when the file sets it, and names the value as written
// there. The types that decode themselves (models, sweep, labels, a
// plot's point) are checked by the checks of load.go.
func checkFields(d *decoder, v reflect.Value, path string, f field) {
	if d.perKey[path] > 0 {
		return // the decoder found it wrong already
	}
	if reflect.PointerTo(v.Type()).Implements(reflect.TypeFor[nodeDecoder]()) {
		return
	}
	if f.reserved != "" {
		if !v.IsZero() {
			d.errorf(d.node(path), path, "%s", f.reserved)
		}
		return
	}
	if isLeafType(v.Type()) {
		checkRange(d, path, v, f)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for _, sf := range fieldsOf(v.Type()) {
			checkFields(d, v.Field(sf.index), joinPath(path, sf.key), sf)
		}
	case reflect.Slice:
		if reflect.PointerTo(v.Type().Elem()).Implements(reflect.TypeFor[nodeDecoder]()) {
			return
		}
		for i := range v.Len() {
			checkFields(d, v.Index(i), fmt.Sprintf("%s[%d]", path, i), field{})
		}
	case reflect.Int, reflect.Int64:
		checkRange(d, path, v, f)
	case reflect.String:
		s := v.String()
		n := d.node(path)
		if s == "" && n == nil {
			return // not set: the default or "" (the page's host)
		}
		switch {
		case f.enum != nil && !slices.Contains(f.enum, s):
			d.errorf(n, path, "%q is not allowed (use %s)", s, orList(f.enum))
		case f.maxLen > 0 && utf8.RuneCountInString(s) > f.maxLen:
			d.errorf(n, path, "%d characters is too long (at most %d)", utf8.RuneCountInString(s), f.maxLen)
		case f.hostname && !isHostname(s):
			d.errorf(n, path, "%q is not a hostname (lower-case letters, digits, dots and hyphens, e.g. img.example.com)", s)
		}
	}
}

// checkRange reports a value outside the field's range tag, as written in
// the file when the file sets it.
func checkRange(d *decoder, path string, v reflect.Value, f field) {
	if f.rng == "" {
		return
	}
	lo, hi, ok := cachedRange(v.Type(), f.rng)
	if !ok {
		panic(fmt.Sprintf("experiments: bad range tag %q on %s", f.rng, path))
	}
	n := d.node(path)
	if inRange(v, lo, hi) || (f.omitZero && n == nil && v.IsZero()) {
		return
	}
	text := fmt.Sprint(v.Interface())
	if n != nil && n.Kind == yaml.ScalarNode {
		text = strings.TrimSpace(n.Value)
	}
	d.errorf(n, path, "%s is out of range %s", text, f.rng)
}

type rangeKey struct {
	t   reflect.Type
	tag string
}

type rangeBounds struct {
	lo, hi reflect.Value
	ok     bool
}

var rangeCache sync.Map // rangeKey -> rangeBounds

// cachedRange is parseRange, parsed once per type and tag: a page of many
// objects checks the same ranges for every one of them.
func cachedRange(t reflect.Type, tag string) (lo, hi reflect.Value, ok bool) {
	k := rangeKey{t, tag}
	if b, found := rangeCache.Load(k); found {
		b := b.(rangeBounds)
		return b.lo, b.hi, b.ok
	}
	lo, hi, ok = parseRange(t, tag)
	rangeCache.Store(k, rangeBounds{lo, hi, ok})
	return lo, hi, ok
}

// parseRange parses a "lo..hi" tag with the type's own parser.
func parseRange(t reflect.Type, tag string) (lo, hi reflect.Value, ok bool) {
	a, b, found := strings.Cut(tag, "..")
	if !found {
		return lo, hi, false
	}
	lo, hi = reflect.New(t).Elem(), reflect.New(t).Elem()
	for _, x := range []struct {
		v reflect.Value
		s string
	}{{lo, a}, {hi, b}} {
		if u, isU := x.v.Addr().Interface().(yaml.Unmarshaler); isU {
			if u.UnmarshalYAML(&yaml.Node{Kind: yaml.ScalarNode, Value: x.s}) != nil {
				return lo, hi, false
			}
			continue
		}
		switch t.Kind() {
		case reflect.Int, reflect.Int64:
			i, err := strconv.ParseInt(x.s, 10, 64)
			if err != nil {
				return lo, hi, false
			}
			x.v.SetInt(i)
		default:
			return lo, hi, false
		}
	}
	return lo, hi, true
}

func inRange(v, lo, hi reflect.Value) bool {
	switch v.Kind() {
	case reflect.Int, reflect.Int64:
		return lo.Int() <= v.Int() && v.Int() <= hi.Int()
	case reflect.Float64:
		return lo.Float() <= v.Float() && v.Float() <= hi.Float()
	}
	return true
}

// parseInt accepts decimal, 0x hexadecimal, and integral decimal floats
// such as 5e8.
func parseInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		i, err := strconv.ParseInt(h, 16, 64)
		return i, err == nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, true
	}
	if !bareNumber.MatchString(s) {
		return 0, false
	}
	i, err := scaleDecimal(s, 1)
	return i, err == nil
}

func parseUint(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		return strconv.ParseUint(h, 16, 64)
	}
	return strconv.ParseUint(s, 10, 64)
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	return false, false
}

// matchEnum returns the allowed word that s names, ignoring case.
func matchEnum(s string, allowed []string) (string, bool) {
	for _, a := range allowed {
		if strings.EqualFold(strings.TrimSpace(s), a) {
			return a, true
		}
	}
	return "", false
}

func orList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

var hostnameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)

func isHostname(s string) bool { return len(s) <= 253 && hostnameRE.MatchString(s) }

// suggest returns the known key closest to key, if it is close.
func suggest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	if len(key) > 64 {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// decodeNode decodes one models entry: a name, or {name: {options}}.
func (m *ModelSpec) decodeNode(d *decoder, n *yaml.Node, path string) {
	var nameNode, opts *yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		if isNull(n) {
			d.errorf(n, path, "missing model name (use one of %s)", orList(modelNames()))
			return
		}
		nameNode = n
	case yaml.MappingNode:
		if len(n.Content) != 2 {
			hint := ""
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := resolve(n.Content[i]); k != nil && k.Value == "name" {
					hint = "; write e.g. `- parallel: {connections: 6}`"
				}
			}
			d.errorf(n, path, "a model is a name or a one-key mapping {name: {options}}, got %d keys%s", len(n.Content)/2, hint)
			return
		}
		nameNode, opts = resolve(n.Content[0]), resolve(n.Content[1])
		if nameNode == nil || nameNode.Kind != yaml.ScalarNode {
			d.errorf(n, path, "a model's name must be a plain word")
			return
		}
	default:
		d.errorf(n, path, "a model is a name or a one-key mapping {name: {options}}, got %s", kindName(n))
		return
	}
	name := strings.TrimSpace(nameNode.Value)
	def, ok := newModel(name)
	if !ok {
		msg := fmt.Sprintf("unknown model %q (use %s)", name, orList(modelNames()))
		if s := suggest(name, modelNames()); s != "" {
			msg += fmt.Sprintf("; did you mean %s?", s)
		}
		d.errorf(nameNode, path, "%s", msg)
		return
	}
	*m = def
	if opts == nil || isNull(opts) {
		return
	}
	if opts.Kind != yaml.MappingNode {
		d.errorf(opts, path, "a model's options must be a mapping, e.g. {connections: 6}, got %s", kindName(opts))
		return
	}
	var given []string
	labelSet := false
	d.eachKey(opts, path, func(k string, kn, vn *yaml.Node) {
		p := path + "." + k
		if !slices.Contains(modelOptions, k) {
			d.unknownKey(kn, p, k, m.optionNames())
			return
		}
		if !m.Accepts(k) {
			d.errorf(kn, p, "%s takes no %s option (it takes %s)", name, k, strings.Join(m.optionNames(), ", "))
			return
		}
		vn = resolve(vn)
		if vn == nil {
			return
		}
		d.nodes[p] = vn
		if !d.setModelOption(m, k, vn, p) {
			return
		}
		if k == "label" {
			labelSet = true
			return
		}
		given = append(given, k+"="+strings.TrimSpace(vn.Value))
	})
	if !labelSet && len(given) > 0 {
		m.Label = name + "(" + strings.Join(given, ",") + ")"
	}
}

var labelRE = regexp.MustCompile(`^[^/\x00-\x1f\x7f]{1,100}$`)

// setModelOption parses one option value into m, reporting problems under path.
func (d *decoder) setModelOption(m *ModelSpec, opt string, vn *yaml.Node, path string) bool {
	s, ok := d.scalar(vn, path, "a value")
	if !ok {
		return false
	}
	intOpt := func(lo, hi int, dst *int) bool {
		i, ok := parseInt(s)
		if !ok {
			d.errorf(vn, path, "%q is not a whole number", s)
			return false
		}
		if i < int64(lo) || i > int64(hi) {
			d.errorf(vn, path, "%s is out of range %d..%d", strings.TrimSpace(s), lo, hi)
			return false
		}
		*dst = int(i)
		return true
	}
	switch opt {
	case "connections":
		return intOpt(1, 1000, &m.Connections)
	case "depth":
		return intOpt(0, 1000, &m.Depth)
	case "shards":
		return intOpt(1, 64, &m.Shards)
	case "coalesce":
		b, ok := parseBool(s)
		if !ok {
			d.errorf(vn, path, "%q is not true or false", s)
			return false
		}
		m.NoCoalesce = !b
		return true
	case "start":
		e, ok := matchEnum(s, []string{"prior-knowledge", "upgrade"})
		if !ok {
			d.errorf(vn, path, "%q is not allowed (use prior-knowledge or upgrade)", s)
			return false
		}
		m.Start = e
		return true
	case "http_version":
		e, ok := matchEnum(s, []string{"1.0", "1.1"})
		if !ok {
			d.errorf(vn, path, "%q is not allowed (use 1.0 or 1.1)", s)
			return false
		}
		m.HTTPVersion = e
		return true
	case "label":
		if !labelRE.MatchString(s) || strings.TrimSpace(s) != s {
			d.errorf(vn, path, "%q is not a label (1 to 100 characters, no slash, no control characters, no leading or trailing space)", s)
			return false
		}
		m.Label = s
		return true
	}
	return false
}

func modelNames() []string {
	var ns []string
	for _, k := range modelKinds {
		ns = append(ns, k.name)
	}
	return ns
}

// decodeNode decodes the sweep mapping: key -> list of values. Keys and
// values are checked later, against the whole spec.
func (s *Sweep) decodeNode(d *decoder, n *yaml.Node, path string) {
	*s = nil
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping of key: [values], e.g. network.rtt: [20ms, 100ms], got %s", kindName(n))
		return
	}
	d.eachKey(n, path, func(k string, kn, vn *yaml.Node) {
		p := path + "." + k
		vn = resolve(vn)
		if vn == nil || vn.Kind != yaml.SequenceNode {
			d.errorf(kn, p, "want a list of values, e.g. [20ms, 100ms]")
			return
		}
		if len(vn.Content) == 0 {
			d.errorf(vn, p, "want at least one value")
			return
		}
		d.nodes[p] = kn
		a := SweepAxis{Key: k}
		for _, c := range vn.Content {
			c = resolve(c)
			if c == nil {
				continue
			}
			d.budget--
			text, ok := nodeText(c)
			if !ok {
				d.errorf(c, p, "this value is too large to sweep")
			}
			a.Values = append(a.Values, SweepValue{Text: text})
		}
		*s = append(*s, a)
	})
}

// decodeNode decodes labels: a mapping of swept key -> list of names. They
// are matched against the sweep later.
func (l *SweepLabels) decodeNode(d *decoder, n *yaml.Node, path string) {
	*l = nil
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping of swept key: [names], e.g. network: [LAN, WAN], got %s", kindName(n))
		return
	}
	d.eachKey(n, path, func(k string, kn, vn *yaml.Node) {
		p := path + "." + k
		var names []string
		d.decode(vn, p, reflect.ValueOf(&names).Elem(), field{})
		d.nodes[p] = kn // errors about the key point at the key
		*l = append(*l, SweepLabel{Key: k, Names: names})
	})
}

// decodeNode decodes a plot's point: a mapping of swept key -> value. The
// values are matched against the sweep later.
func (p *PlotPoint) decodeNode(d *decoder, n *yaml.Node, path string) {
	*p = nil
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping of swept key: value, e.g. {network.rtt: 100ms}, got %s", kindName(n))
		return
	}
	idx := plotIndex(path)
	d.eachKey(n, path, func(k string, kn, vn *yaml.Node) {
		vn = resolve(vn)
		if vn == nil || isNull(vn) {
			d.errorf(kn, path+"."+k, "missing value")
			return
		}
		text, _ := nodeText(vn) // a value too large matches no swept value
		*p = append(*p, PointSetting{Key: k, Text: text})
		if d.pointNodes == nil {
			d.pointNodes = map[int][]*yaml.Node{}
		}
		d.pointNodes[idx] = append(d.pointNodes[idx], vn)
	})
}

func plotIndex(path string) int {
	s, _, _ := strings.Cut(strings.TrimPrefix(path, "plots["), "]")
	i, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return i
}

// nodeText is the text of a value as written: a scalar's text, or a list
// or mapping in YAML flow style on one line.
// It fails for a value of more than 10000 nodes.
func nodeText(n *yaml.Node) (string, bool) {
	if n.Kind == yaml.ScalarNode {
		return n.Value, true
	}
	budget := 10000
	c := flowCopy(n, &budget)
	if c == nil {
		return "[...]", false
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		return "[...]", false
	}
	return collapseBreaks(strings.TrimSpace(string(out))), true
}

// flowCopy copies n with aliases expanded, flow style throughout, explicit
// resolved tags and no comments or anchors. It returns nil when the value
// is larger than the budget.
func flowCopy(n *yaml.Node, budget *int) *yaml.Node {
	n = resolve(n)
	*budget--
	if n == nil || *budget < 0 {
		return nil
	}
	c := &yaml.Node{Kind: n.Kind, Value: n.Value}
	switch n.Kind {
	case yaml.ScalarNode:
		c.Tag = n.ShortTag()
		if c.Tag == "!!str" && strings.ContainsFunc(c.Value, riskyRune) {
			c.Style = yaml.DoubleQuotedStyle
		}
	case yaml.MappingNode, yaml.SequenceNode:
		c.Style = yaml.FlowStyle
		c.Tag = n.ShortTag()
		for _, e := range n.Content {
			ec := flowCopy(e, budget)
			if ec == nil {
				return nil
			}
			c.Content = append(c.Content, ec)
		}
	default:
		return nil
	}
	return c
}

// collapseBreaks joins the lines that the YAML emitter wraps long flow
// values into: a line break there reads back as one space.
func collapseBreaks(s string) string {
	if !strings.Contains(s, "\n") {
		return s
	}
	var b strings.Builder
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if i > 0 {
			l = strings.TrimLeft(l, " ")
			if l == "" {
				return s // a blank line means a real line break in a quoted string; keep the text as is
			}
			b.WriteByte(' ')
		}
		b.WriteString(l)
	}
	return b.String()
}
