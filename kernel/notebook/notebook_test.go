package notebook

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join("testdata", "basic.ipynb")
	nb, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(nb.Cells) != 3 || nb.Cells[1].Type != "code" || len(nb.Cells[1].Outputs) != 4 {
		t.Fatalf("parsed %d cells: %+v", len(nb.Cells), nb.Cells)
	}
	if !strings.HasPrefix(nb.Cells[1].Source, "var scale = \"cpu\"\nvar (\n") {
		t.Errorf("source list not joined: %q", nb.Cells[1].Source)
	}
	if nb.Cells[1].Outputs[0].Text != "a\nb\n" || *nb.Cells[1].ExecutionCount != 3 {
		t.Errorf("cell 2 = %+v", nb.Cells[1])
	}
	if !nb.Cells[1].HasTag("parameters") || nb.Cells[0].HasTag("parameters") {
		t.Error("tags not read")
	}
	out := filepath.Join(t.TempDir(), "out.ipynb")
	if err := nb.WriteFile(out); err != nil {
		t.Fatal(err)
	}
	// Same JSON value as the input: sources and texts are written as line lists, so compare
	// after normalizing both through the package, and compare raw JSON for unknown fields.
	var orig, back map[string]any
	readJSON(t, path, &orig)
	readJSON(t, out, &back)
	normalize(orig)
	normalize(back)
	if !reflect.DeepEqual(orig, back) {
		a, _ := json.MarshalIndent(orig, "", " ")
		b, _ := json.MarshalIndent(back, "", " ")
		t.Errorf("round trip differs:\n%s\n---\n%s", a, b)
	}
	data, _ := os.ReadFile(out)
	if strings.Contains(string(data), `\u003c`) {
		t.Error("HTML was escaped")
	}
	// Writing again gives identical bytes.
	nb2, err := ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(t.TempDir(), "out2.ipynb")
	if err := nb2.WriteFile(out2); err != nil {
		t.Fatal(err)
	}
	data2, _ := os.ReadFile(out2)
	if string(data) != string(data2) {
		t.Error("second write differs from the first")
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// normalize joins multiline strings ("source", "text", "text/plain" ...) in place.
func normalize(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if l, ok := e.([]any); ok && (k == "source" || k == "text" || strings.Contains(k, "/")) {
				var b strings.Builder
				for _, s := range l {
					b.WriteString(s.(string))
				}
				x[k] = b.String()
				continue
			}
			normalize(e)
		}
	case []any:
		for _, e := range x {
			normalize(e)
		}
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"missing.ipynb", []string{"does not exist"}},
		{"truncated.ipynb", []string{"truncated"}},
		{"malformed.ipynb", []string{"malformed JSON at line 1 column 12"}},
		{"nbformat3.ipynb", []string{"nbformat 3 is not supported", "nbformat 4"}},
		{"nonbformat.ipynb", []string{`no "nbformat" field`}},
		{"array.ipynb", []string{"not a Jupyter notebook"}},
		{"badsource.ipynb", []string{"cell 1", `"source"`, "string or a list of strings"}},
		{"badtype.ipynb", []string{"cell 1", `unknown cell_type "picture"`}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			_, err := ReadFile(path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append([]string{path}, tc.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestParameters(t *testing.T) {
	nb, err := ReadFile(filepath.Join("testdata", "basic.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := nb.Parameters()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Name+":"+string(p.Kind))
	}
	want := "scale:string epochs:int lr:float verbose:bool steps:int temp:float neg:int"
	if strings.Join(got, " ") != want {
		t.Errorf("parameters = %v, want %s", got, want)
	}
}

func TestInjectParameters(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		params  []string
		want    []string // lines of the injected cell
		values  map[string]any
		wantErr []string
	}{
		{name: "string", params: []string{`scale=gpu "x"`}, want: []string{`var scale = "gpu \"x\""`}, values: map[string]any{"scale": `gpu "x"`}},
		{name: "int", params: []string{"epochs=20"}, want: []string{"var epochs = 20"}, values: map[string]any{"epochs": int64(20)}},
		{name: "negative int", params: []string{"neg=-7"}, want: []string{"var neg = -7"}},
		{name: "float", params: []string{"lr=0.5"}, want: []string{"var lr = 0.5"}},
		{name: "float from int text", params: []string{"lr=2"}, want: []string{"var lr = 2.0"}, values: map[string]any{"lr": 2.0}},
		{name: "float exp", params: []string{"lr=1e-4"}, want: []string{"var lr = 0.0001"}},
		{name: "bool", params: []string{"verbose=true"}, want: []string{"var verbose = true"}, values: map[string]any{"verbose": true}},
		{name: "typed", params: []string{"steps=9", "temp=3"}, want: []string{"var steps int64 = 9", "var temp float32 = 3.0"}},
		{name: "several, last wins", params: []string{"epochs=1", "scale=a", "epochs=2"}, want: []string{"var epochs = 2", `var scale = "a"`}},
		{name: "empty string", params: []string{"scale="}, want: []string{`var scale = ""`}},
		{name: "value with =", params: []string{"scale=a=b"}, want: []string{`var scale = "a=b"`}},
		{name: "unknown", params: []string{"batch=3"}, wantErr: []string{`unknown parameter "batch"`, "scale (string", "epochs (int", "verbose (bool"}},
		{name: "not a declaration", params: []string{"notParam=3"}, wantErr: []string{`unknown parameter "notParam"`}},
		{name: "bad int", params: []string{"epochs=ten"}, wantErr: []string{`parameter "epochs" expects a int`, `"ten" is not an integer`}},
		{name: "bad float", params: []string{"lr=fast"}, wantErr: []string{`parameter "lr" expects a float`}},
		{name: "bad bool", params: []string{"verbose=yes"}, wantErr: []string{`parameter "verbose" expects a bool`}},
		{name: "no equals", params: []string{"epochs"}, wantErr: []string{"expected name=value"}},
		{name: "typed out of range", params: []string{"temp=1e39"}, wantErr: []string{`parameter "temp" expects a float`, "out of range for float32"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if file == "" {
				file = "basic.ipynb"
			}
			nb, err := ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			n := len(nb.Cells)
			values, err := nb.InjectParameters(tc.params)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if len(nb.Cells) != n {
					t.Error("cells changed on error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(nb.Cells) != n+1 {
				t.Fatalf("got %d cells, want %d", len(nb.Cells), n+1)
			}
			pi := nb.ParametersCell()
			inj := nb.Cells[pi+1]
			if !inj.HasTag(InjectedParametersTag) || inj.Type != "code" {
				t.Fatalf("cell after parameters = %+v", inj)
			}
			lines := strings.Split(inj.Source, "\n")[1:]
			if !reflect.DeepEqual(lines, tc.want) {
				t.Errorf("injected %q, want %q", lines, tc.want)
			}
			for k, v := range tc.values {
				if values[k] != v {
					t.Errorf("values[%s] = %#v, want %#v", k, values[k], v)
				}
			}
			// The injected code parses as Go declarations of the same kinds.
			ps, err := ParseParameters(inj.Source)
			if err != nil || len(ps) != len(tc.want) {
				t.Errorf("injected cell does not parse back: %v %v", ps, err)
			}
			// Injecting again replaces the injected cell.
			if _, err := nb.InjectParameters(tc.params); err != nil || len(nb.Cells) != n+1 {
				t.Errorf("re-injection: %d cells, %v", len(nb.Cells), err)
			}
		})
	}
}

func TestNoParamsIsNoop(t *testing.T) {
	nb, err := ReadFile(filepath.Join("testdata", "noparams.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := nb.InjectParameters(nil)
	if err != nil || len(v) != 0 || len(nb.Cells) != 1 {
		t.Errorf("InjectParameters(nil) = %v, %v, %d cells", v, err, len(nb.Cells))
	}
}

func TestNewCellsGetIDs(t *testing.T) {
	nb := &Notebook{NBFormat: 4, NBFormatMinor: 5, Cells: []*Cell{NewMarkdownCell("# x"), NewCodeCell("%%\nfmt.Println(1)")}}
	out := filepath.Join(t.TempDir(), "new.ipynb")
	if err := nb.WriteFile(out); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if back.Cells[0].ID == "" || back.Cells[1].ID == "" || back.Cells[0].ID == back.Cells[1].ID {
		t.Errorf("cell ids = %q, %q", back.Cells[0].ID, back.Cells[1].ID)
	}
	if back.Cells[1].Source != "%%\nfmt.Println(1)" || back.Cells[1].ExecutionCount != nil {
		t.Errorf("code cell = %+v", back.Cells[1])
	}
}

// TestNoParametersCell: assignments to a notebook without a parameters cell go to a new first
// cell, typed from their text (papermill's behaviour; the runner warns).
func TestNoParametersCell(t *testing.T) {
	nb, err := ReadFile(filepath.Join("testdata", "noparams.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	n := len(nb.Cells)
	values, err := nb.InjectParameters([]string{"x=1", "lr=0.5", "on=true", "name=a b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(nb.Cells) != n+1 || !nb.Cells[0].HasTag(InjectedParametersTag) {
		t.Fatalf("want the injected cell first, got %d cells, first %+v", len(nb.Cells), nb.Cells[0])
	}
	want := "var x = 1\nvar lr = 0.5\nvar on = true\nvar name = \"a b\""
	if got := strings.SplitN(nb.Cells[0].Source, "\n", 2)[1]; got != want {
		t.Errorf("injected %q, want %q", got, want)
	}
	if values["x"] != int64(1) || values["on"] != true {
		t.Errorf("values = %v", values)
	}
}

// TestParameterLiteralRange: values outside the declared type's range are rejected with the
// range (they used to pass and fail in the Go compiler: "constant 300 overflows int8").
func TestParameterLiteralRange(t *testing.T) {
	tests := []struct {
		goType, kind, value string
		want                string // literal, or the error's text
	}{
		{"int8", "int", "127", "127"},
		{"int8", "int", "300", "out of range for int8 [-128, 127]"},
		{"int8", "int", "-129", "out of range for int8 [-128, 127]"},
		{"uint8", "int", "255", "255"},
		{"uint8", "int", "256", "out of range for uint8 [0, 255]"},
		{"uint", "int", "-1", "out of range for uint [0, 18446744073709551615]"},
		{"uint64", "int", "18446744073709551615", "18446744073709551615"},
		{"", "int", "9223372036854775808", "out of range for int [-9223372036854775808, 9223372036854775807]"},
		{"int32", "int", "0x7fffffff", "2147483647"},
		{"int16", "int", "ten", "is not an integer"},
		{"float32", "float", "3.4e38", "3.4e+38"},
		{"float32", "float", "-1e39", "out of range for float32"},
		{"float64", "float", "1e300", "1e+300"},
	}
	for _, tc := range tests {
		p := Parameter{Name: "x", Kind: Kind(tc.kind), GoType: tc.goType}
		lit, _, err := p.Literal(tc.value)
		got := lit
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s %s=%s: got %q, want %q", tc.goType, p.Name, tc.value, got, tc.want)
		}
	}
}

// TestInvalidUTF8: a notebook with invalid UTF-8 is refused, naming where (JSON decoding would
// silently replace the bytes by U+FFFD).
func TestInvalidUTF8(t *testing.T) {
	data := []byte("{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {},\n \"cells\": [{\"cell_type\": \"markdown\", \"metadata\": {}, \"source\": \"caf\xe9\"}]}")
	_, err := Parse(data)
	if err == nil {
		t.Fatal("Parse accepted invalid UTF-8")
	}
	for _, w := range []string{"invalid UTF-8", "line 2 column", "0xe9"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

// TestParameterDocs: the comments of the parameters cell are kept, for `labnotes params`.
func TestParameterDocs(t *testing.T) {
	ps, err := ParseParameters("// Problem size: smoke, cpu or gpu.\nvar scale = \"cpu\"\nvar (\n\t// Passes over the data.\n\tepochs = 10\n\tlr = 0.01 // learning rate\n)\nvar seed int64 = 1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"scale": "Problem size: smoke, cpu or gpu.", "epochs": "Passes over the data.", "lr": "learning rate", "seed": ""}
	for _, p := range ps {
		if p.Doc != want[p.Name] {
			t.Errorf("%s: doc %q, want %q", p.Name, p.Doc, want[p.Name])
		}
	}
	if len(ps) != 4 {
		t.Errorf("got %d parameters, want 4", len(ps))
	}
}

func TestReadParamsFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		want          []string
		wantErr       string
	}{
		{"p.json", `{"scale": "smoke", "epochs": 3, "lr": 1e-3, "verbose": true}`,
			[]string{"epochs=3", "lr=1e-3", "scale=smoke", "verbose=true"}, ""},
		{"p.yaml", "# run settings\nscale: smoke\nepochs: 3   # short\nlr: 1e-3\nname: \"a: b\"\nq: 'it''s'\n",
			[]string{"scale=smoke", "epochs=3", "lr=1e-3", "name=a: b", "q=it's"}, ""},
		{"nested.yml", "model:\n  depth: 2\n", nil, `parameter "model" has no value`},
		{"list.yaml", "sizes: [1, 2]\n", nil, "only scalar values"},
		{"obj.json", `{"x": {"y": 1}}`, nil, `parameter "x": expected a string, number or bool`},
		{"p.toml", "x = 1", nil, `unknown extension ".toml"`},
	}
	for _, tc := range tests {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadParamsFile(path)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.name) {
				t.Errorf("%s: error %v, want one naming the file and %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}
