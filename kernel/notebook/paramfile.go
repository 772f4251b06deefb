package notebook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ReadParamsFile reads parameter values from a file, as papermill's -f does, and returns them as
// "name=value" assignments for [Notebook.InjectParameters], in the file's order (JSON: sorted by
// name). The file is .json (an object of strings, numbers and bools) or .yaml/.yml (a flat
// mapping "name: value" of scalars; comments, quotes and blank lines allowed; lists, nested
// mappings and multi-line values are refused with a clear error).
func ReadParamsFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("notebook: parameters file: %w", err)
	}
	var as []string
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		as, err = jsonParams(data)
	case ".yaml", ".yml":
		as, err = yamlParams(data)
	default:
		err = fmt.Errorf("unknown extension %q; expected .json, .yaml or .yml", filepath.Ext(path))
	}
	if err != nil {
		return nil, fmt.Errorf("notebook: parameters file %s: %w", path, err)
	}
	return as, nil
}

func jsonParams(data []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("expected a JSON object of name: value: %v", err)
	}
	var as []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch v := m[k].(type) {
		case string:
			as = append(as, k+"="+v)
		case json.Number:
			as = append(as, k+"="+v.String())
		case bool:
			as = append(as, k+"="+strconv.FormatBool(v))
		default:
			return nil, fmt.Errorf("parameter %q: expected a string, number or bool, got %s", k, string(mustJSON(v)))
		}
	}
	return as, nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func yamlParams(data []byte) ([]string, error) {
	var as []string
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		t := strings.TrimRight(line, " \t\r")
		if s := strings.TrimSpace(t); s == "" || strings.HasPrefix(s, "#") || s == "---" {
			continue
		}
		if t[0] == ' ' || t[0] == '\t' || strings.HasPrefix(t, "- ") {
			return nil, fmt.Errorf("line %d: only a flat mapping of name: value is supported, not nested or list values", n)
		}
		name, value, ok := strings.Cut(t, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("line %d: expected name: value, got %q", n, t)
		}
		name = strings.TrimSpace(name)
		value = strings.TrimSpace(value)
		switch {
		case value == "":
			return nil, fmt.Errorf("line %d: parameter %q has no value (nested mappings and multi-line values are not supported)", n, name)
		case value[0] == '"':
			v, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("line %d: parameter %q: bad double-quoted string %s", n, name, value)
			}
			value = v
		case value[0] == '\'':
			if len(value) < 2 || value[len(value)-1] != '\'' {
				return nil, fmt.Errorf("line %d: parameter %q: bad single-quoted string %s", n, name, value)
			}
			value = strings.ReplaceAll(value[1:len(value)-1], "''", "'")
		case strings.ContainsAny(value[:1], "[{|>&*!"):
			return nil, fmt.Errorf("line %d: parameter %q: only scalar values are supported, got %s", n, name, value)
		default:
			if i := strings.Index(value, " #"); i >= 0 {
				value = strings.TrimSpace(value[:i])
			}
		}
		as = append(as, name+"="+value)
	}
	return as, nil
}
