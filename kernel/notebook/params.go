package notebook

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Tags used by parameter injection (the names papermill uses).
const (
	ParametersTag         = "parameters"
	InjectedParametersTag = "injected-parameters"
)

// Kind is the type of a notebook parameter.
type Kind string

// Parameter kinds.
const (
	String Kind = "string"
	Int    Kind = "int"
	Float  Kind = "float"
	Bool   Kind = "bool"
)

// Parameter is a declaration in the parameters cell.
type Parameter struct {
	Name string
	Kind Kind
	// GoType is the explicit type of the declaration (`var lr float32 = 0.1`), or "".
	GoType string
	// Default is the source text of the declared value.
	Default string
	// Doc is the declaration's comment (the lines above it, or the comment at the end of its
	// line), without the comment markers; "" when there is none.
	Doc string
}

// ParametersCell returns the index in nb.Cells of the first code cell tagged "parameters", or -1.
func (nb *Notebook) ParametersCell() int {
	for i, c := range nb.Cells {
		if c.Type == "code" && c.HasTag(ParametersTag) {
			return i
		}
	}
	return -1
}

// Parameters parses the parameters cell and returns its declarations, in order. It returns
// (nil, nil) when the notebook has no parameters cell.
func (nb *Notebook) Parameters() ([]Parameter, error) {
	i := nb.ParametersCell()
	if i < 0 {
		return nil, nil
	}
	return ParseParameters(nb.Cells[i].Source)
}

// ParseParameters parses Go source made of top-level declarations (GoNB special lines starting
// with % or ! are ignored) and returns the `var` declarations whose value is a string, integer,
// float or bool literal.
func ParseParameters(src string) ([]Parameter, error) {
	var b strings.Builder
	b.WriteString("package p\n")
	for _, l := range strings.Split(src, "\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "%") || strings.HasPrefix(t, "!") {
			l = ""
		}
		b.WriteString(l + "\n")
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "parameters", b.String(), parser.SkipObjectResolution|parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parsing the parameters cell as Go declarations: %v", err)
	}
	var params []Parameter
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			goType := ""
			if id, ok := vs.Type.(*ast.Ident); ok {
				goType = id.Name
			}
			for j, name := range vs.Names {
				if j >= len(vs.Values) {
					break
				}
				kind, text := literalKind(vs.Values[j])
				if tk := typeKind(goType); tk != "" {
					kind = tk
				}
				if kind == "" || name.Name == "_" {
					continue
				}
				doc := commentText(vs.Doc, vs.Comment)
				if doc == "" && len(gd.Specs) == 1 {
					doc = commentText(gd.Doc, nil)
				}
				params = append(params, Parameter{Name: name.Name, Kind: kind, GoType: goType, Default: text, Doc: doc})
			}
		}
	}
	return params, nil
}

// commentText joins the text of the comment groups, one line.
func commentText(groups ...*ast.CommentGroup) string {
	var parts []string
	for _, g := range groups {
		if t := strings.Join(strings.Fields(g.Text()), " "); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " ")
}

func literalKind(e ast.Expr) (Kind, string) {
	switch v := e.(type) {
	case *ast.BasicLit:
		switch v.Kind {
		case token.STRING:
			return String, v.Value
		case token.INT:
			return Int, v.Value
		case token.FLOAT:
			return Float, v.Value
		}
	case *ast.Ident:
		if v.Name == "true" || v.Name == "false" {
			return Bool, v.Name
		}
	case *ast.UnaryExpr:
		if v.Op == token.SUB || v.Op == token.ADD {
			if k, t := literalKind(v.X); k == Int || k == Float {
				return k, v.Op.String() + t
			}
		}
	case *ast.ParenExpr:
		return literalKind(v.X)
	}
	return "", ""
}

func typeKind(goType string) Kind {
	switch goType {
	case "string":
		return String
	case "bool":
		return Bool
	case "float32", "float64":
		return Float
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "byte", "rune":
		return Int
	}
	return ""
}

// Literal converts value to a Go literal of kind k. The returned Go value is a string, int64,
// uint64, float64 or bool.
func (k Kind) Literal(value string) (lit string, v any, err error) {
	switch k {
	case String:
		return strconv.Quote(value), value, nil
	case Int:
		s := strings.ReplaceAll(strings.TrimSpace(value), "_", "")
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return strconv.FormatInt(i, 10), i, nil
		}
		if u, err := strconv.ParseUint(s, 0, 64); err == nil {
			return strconv.FormatUint(u, 10), u, nil
		}
		return "", nil, fmt.Errorf("%q is not an integer", value)
	case Float:
		f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return "", nil, fmt.Errorf("%q is not a finite floating-point number", value)
		}
		lit := strconv.FormatFloat(f, 'g', -1, 64)
		if !strings.ContainsAny(lit, ".eE") {
			lit += ".0"
		}
		return lit, f, nil
	case Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(value))
		if err != nil {
			return "", nil, fmt.Errorf("%q is not a bool (true or false)", value)
		}
		return strconv.FormatBool(b), b, nil
	}
	return "", nil, fmt.Errorf("unsupported parameter kind %q", k)
}

// intRange returns the size in bits and signedness of a Go integer type ("" is an untyped
// constant's default type, int).
func intRange(goType string) (bits int, signed bool) {
	switch goType {
	case "", "int":
		return strconv.IntSize, true
	case "int8":
		return 8, true
	case "int16":
		return 16, true
	case "int32", "rune":
		return 32, true
	case "int64":
		return 64, true
	case "uint":
		return strconv.IntSize, false
	case "uint8", "byte":
		return 8, false
	case "uint16":
		return 16, false
	case "uint32":
		return 32, false
	}
	return 64, false // uint64, uintptr
}

// Literal converts value to a Go literal for the parameter: as [Kind.Literal], and within the
// range of the declared type (an untyped integer is an int, an untyped float a float64), so that
// a value the compiler would reject ("constant 300 overflows int8") is rejected here, naming the
// range.
func (p Parameter) Literal(value string) (lit string, v any, err error) {
	typ := p.GoType
	if p.Kind == Int {
		if typ == "" {
			typ = "int"
		}
		bits, signed := intRange(p.GoType)
		s := strings.ReplaceAll(strings.TrimSpace(value), "_", "")
		if signed {
			i, err := strconv.ParseInt(s, 0, bits)
			if errors.Is(err, strconv.ErrRange) {
				return "", nil, fmt.Errorf("%q is out of range for %s [%d, %d]", value, typ, int64(-1)<<(bits-1), int64(1)<<(bits-1)-1)
			}
			if err != nil {
				return "", nil, fmt.Errorf("%q is not an integer", value)
			}
			return strconv.FormatInt(i, 10), i, nil
		}
		u, err := strconv.ParseUint(s, 0, bits)
		if errors.Is(err, strconv.ErrRange) {
			return "", nil, fmt.Errorf("%q is out of range for %s [0, %d]", value, typ, uint64(1)<<(bits-1)*2-1)
		}
		if err != nil {
			if _, ierr := strconv.ParseInt(s, 0, 64); ierr == nil || errors.Is(ierr, strconv.ErrRange) {
				return "", nil, fmt.Errorf("%q is out of range for %s [0, %d]", value, typ, uint64(1)<<(bits-1)*2-1)
			}
			return "", nil, fmt.Errorf("%q is not an integer", value)
		}
		return strconv.FormatUint(u, 10), u, nil
	}
	lit, v, err = p.Kind.Literal(value)
	if err == nil && p.Kind == Float && typ == "float32" && math.Abs(v.(float64)) > math.MaxFloat32 {
		return "", nil, fmt.Errorf("%q is out of range for float32 (magnitude at most %g)", value, math.MaxFloat32)
	}
	return lit, v, err
}

// inferParameter returns a parameter for an assignment to a notebook without a parameters cell:
// its kind is inferred from the value (bool, int, float, else string).
func inferParameter(name, value string) Parameter {
	v := strings.TrimSpace(value)
	kind := String
	if v == "true" || v == "false" {
		kind = Bool
	} else if _, err := strconv.ParseInt(strings.ReplaceAll(v, "_", ""), 0, 64); err == nil {
		kind = Int
	} else if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		kind = Float
	}
	return Parameter{Name: name, Kind: kind}
}

// InjectParameters applies "name=value" assignments papermill-style: it removes any previous
// "injected-parameters" cell and inserts after the "parameters" cell a code cell tagged
// "injected-parameters" declaring `var name = <literal>` for each assignment, with the literal
// typed like the declaration it overrides (and checked to be in its type's range). It returns
// the injected values by name. With no assignments it changes nothing and returns an empty map.
//
// A notebook without a parameters cell gets the injected cell at its top, each value's type
// inferred from its text (bool, int, float, else string), as papermill does; a later
// declaration of the same name in the notebook then overrides it. Callers should warn about
// that case ([Notebook.ParametersCell] < 0).
func (nb *Notebook) InjectParameters(assignments []string) (map[string]any, error) {
	values := map[string]any{}
	if len(assignments) == 0 {
		return values, nil
	}
	pi := nb.ParametersCell()
	var params []Parameter
	if pi >= 0 {
		var err error
		if params, err = ParseParameters(nb.Cells[pi].Source); err != nil {
			return nil, err
		}
	}
	byName := map[string]Parameter{}
	var names []string
	for _, p := range params {
		byName[p.Name] = p
		names = append(names, fmt.Sprintf("%s (%s, default %s)", p.Name, p.Kind, p.Default))
	}
	var lines []string
	var order []string
	set := map[string]string{}
	for _, a := range assignments {
		name, value, ok := strings.Cut(a, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("parameter %q: expected name=value", a)
		}
		p, ok := byName[name]
		if pi < 0 {
			p, ok = inferParameter(name, value), true
		}
		if !ok {
			avail := "none"
			if len(names) > 0 {
				avail = strings.Join(names, ", ")
			}
			return nil, fmt.Errorf("unknown parameter %q; the notebook's parameters are: %s", name, avail)
		}
		lit, v, err := p.Literal(value)
		if err != nil {
			return nil, fmt.Errorf("parameter %q expects a %s: %v", name, p.Kind, err)
		}
		if !slices.Contains(order, name) {
			order = append(order, name)
		}
		decl := "var " + name + " = " + lit
		if p.GoType != "" {
			decl = "var " + name + " " + p.GoType + " = " + lit
		}
		set[name] = decl
		values[name] = v
	}
	for _, n := range order {
		lines = append(lines, set[n])
	}
	cell := &Cell{
		Type:     "code",
		Source:   "// Parameters injected by labnotes.\n" + strings.Join(lines, "\n"),
		Metadata: map[string]any{"tags": []any{InjectedParametersTag}},
		Extra:    map[string]json.RawMessage{},
	}
	if nb.NBFormatMinor >= 5 {
		cell.ID = "injected-parameters"
	}
	var cells []*Cell
	if pi < 0 {
		cells = append(cells, cell)
	}
	for i, c := range nb.Cells {
		if c.HasTag(InjectedParametersTag) {
			continue
		}
		cells = append(cells, c)
		if i == pi {
			cells = append(cells, cell)
		}
	}
	nb.Cells = cells
	return values, nil
}
