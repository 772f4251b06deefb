package notebook

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/labnotes/labnotes/internal/atomicfile"
)

// Notebook is an nbformat 4 notebook.
type Notebook struct {
	NBFormat      int
	NBFormatMinor int
	// Metadata is the notebook-level metadata (kernelspec, language_info, ...).
	Metadata map[string]any
	Cells    []*Cell
	// Extra holds unknown top-level fields, written back unchanged.
	Extra map[string]json.RawMessage
}

// Cell is one notebook cell.
type Cell struct {
	// ID is the cell id (nbformat >= 4.5), may be empty.
	ID string
	// Type is "code", "markdown" or "raw".
	Type string
	// Source is the cell text (lists of lines are joined on read).
	Source   string
	Metadata map[string]any
	// ExecutionCount is nil when the cell has not run (code cells only).
	ExecutionCount *int
	// Outputs of a code cell.
	Outputs []*Output
	// Extra holds unknown fields (attachments, ...), written back unchanged.
	Extra map[string]json.RawMessage
}

// Output is one output of a code cell.
type Output struct {
	// Type is "stream", "display_data", "execute_result", "error" (or "update_display_data"
	// transiently; it is never written).
	Type string
	// Name is the stream name ("stdout" or "stderr") of a stream output.
	Name string
	// Text is the text of a stream output.
	Text string
	// Data is the MIME bundle of display_data and execute_result outputs.
	Data     map[string]any
	Metadata map[string]any
	// ExecutionCount of an execute_result.
	ExecutionCount *int
	// Ename, Evalue and Traceback describe an error output.
	Ename     string
	Evalue    string
	Traceback []string
	// Extra holds unknown fields, written back unchanged.
	Extra map[string]json.RawMessage
}

// Tags returns the cell's metadata.tags.
func (c *Cell) Tags() []string {
	raw, _ := c.Metadata["tags"].([]any)
	var tags []string
	for _, t := range raw {
		if s, ok := t.(string); ok {
			tags = append(tags, s)
		}
	}
	return tags
}

// HasTag reports whether the cell is tagged tag.
func (c *Cell) HasTag(tag string) bool {
	for _, t := range c.Tags() {
		if t == tag {
			return true
		}
	}
	return false
}

// FirstLine returns the first non-blank line of the cell's source, trimmed.
func (c *Cell) FirstLine() string {
	for _, l := range strings.Split(c.Source, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// ReadFile reads and validates the notebook at path. Errors name the file and what is wrong.
func ReadFile(path string) (*Notebook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("notebook: %s: file does not exist", path)
		}
		return nil, fmt.Errorf("notebook: %w", err)
	}
	nb, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("notebook: %s: %w", path, err)
	}
	return nb, nil
}

// Parse parses and validates nbformat 4 JSON. Errors do not name a file; [ReadFile]'s do.
func Parse(data []byte) (*Notebook, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("file is empty; expected nbformat 4 notebook JSON")
	}
	if err := checkUTF8(data); err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(data, err)
	}
	nb := &Notebook{Extra: map[string]json.RawMessage{}}
	if err := decodeFields(top, map[string]any{
		"nbformat":       &nb.NBFormat,
		"nbformat_minor": &nb.NBFormatMinor,
		"metadata":       &nb.Metadata,
		"cells":          nil, // read below
	}, nb.Extra); err != nil {
		return nil, err
	}
	if _, ok := top["nbformat"]; !ok {
		return nil, errors.New(`not a Jupyter notebook: no "nbformat" field`)
	}
	if nb.NBFormat != 4 {
		return nil, fmt.Errorf("nbformat %d is not supported, only nbformat 4 (convert it with `jupyter nbconvert --to notebook --nbformat 4`)", nb.NBFormat)
	}
	if nb.Metadata == nil {
		nb.Metadata = map[string]any{}
	}
	rawCells, ok := top["cells"]
	if !ok {
		return nil, errors.New(`nbformat 4 notebook has no "cells" list`)
	}
	var cells []json.RawMessage
	if err := json.Unmarshal(rawCells, &cells); err != nil {
		return nil, fmt.Errorf(`"cells" is not a list: %v`, err)
	}
	for i, rc := range cells {
		c, err := parseCell(rc)
		if err != nil {
			return nil, fmt.Errorf("cell %d: %v", i+1, err)
		}
		nb.Cells = append(nb.Cells, c)
	}
	return nb, nil
}

// checkUTF8 returns an error naming the first invalid UTF-8 sequence in data (JSON decoding would
// silently replace it by U+FFFD, changing the notebook's text).
func checkUTF8(data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	off := 0
	for off < len(data) {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		off += size
	}
	line, col := lineCol(data, int64(off))
	return fmt.Errorf("invalid UTF-8 at line %d column %d (byte offset %d: 0x%02x); notebooks are UTF-8 JSON: re-save the file as UTF-8", line, col, off, data[off])
}

// jsonError turns a JSON decoding error into one that says where (line:column) and whether the
// file looks truncated.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, se.Offset-1)
		if se.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n"))) {
			return fmt.Errorf("malformed JSON, the file looks truncated (ends at line %d column %d): %v", line, col, err)
		}
		return fmt.Errorf("malformed JSON at line %d column %d: %v", line, col, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("not a Jupyter notebook: the top level is a JSON %s, expected an object", te.Value)
	}
	return fmt.Errorf("malformed JSON: %v", err)
}

func lineCol(data []byte, off int64) (int, int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// multiline decodes nbformat's "multiline string": a string or a list of strings.
func multiline(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", errors.New("expected a string or a list of strings")
	}
	return strings.Join(list, ""), nil
}

// splitLines splits s into lines that keep their "\n", as nbformat writes multiline strings.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if lines == nil {
		lines = []string{}
	}
	return lines
}

// joined marks a field held as nbformat's multiline string: a string or a list of lines.
type joined struct{ to *string }

// decodeFields decodes the fields of the JSON object m named in known into the pointers
// they map to: a joined entry takes nbformat's multiline strings, a pointer is filled by
// json.Unmarshal, and a nil entry is left to the caller.
// Fields not in known go to extra, unchanged. A bad field is an error naming it.
func decodeFields(m map[string]json.RawMessage, known map[string]any, extra map[string]json.RawMessage) error {
	for k, v := range m {
		dst, ok := known[k]
		if !ok {
			extra[k] = v
			continue
		}
		var err error
		switch d := dst.(type) {
		case nil:
			continue
		case joined:
			*d.to, err = multiline(v)
		default:
			err = json.Unmarshal(v, d)
		}
		if err != nil {
			return fmt.Errorf("field %q: %v", k, err)
		}
	}
	return nil
}

func parseCell(raw json.RawMessage) (*Cell, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.New("not a JSON object")
	}
	c := &Cell{Extra: map[string]json.RawMessage{}}
	var outs []json.RawMessage
	if err := decodeFields(m, map[string]any{
		"id":              &c.ID,
		"cell_type":       &c.Type,
		"source":          joined{&c.Source},
		"metadata":        &c.Metadata,
		"execution_count": &c.ExecutionCount,
		"outputs":         &outs,
	}, c.Extra); err != nil {
		return nil, err
	}
	for j, ro := range outs {
		o, err := parseOutput(ro)
		if err != nil {
			return nil, fmt.Errorf("output %d: %v", j+1, err)
		}
		c.Outputs = append(c.Outputs, o)
	}
	switch c.Type {
	case "code", "markdown", "raw":
	case "":
		return nil, errors.New(`missing "cell_type"`)
	default:
		return nil, fmt.Errorf("unknown cell_type %q (expected code, markdown or raw)", c.Type)
	}
	if _, ok := m["source"]; !ok {
		return nil, errors.New(`missing "source"`)
	}
	if c.Type != "code" {
		// Not fields of markdown and raw cells: kept as they were, not interpreted (found by
		// FuzzParse: outputs of a markdown cell were read, then lost when written).
		for _, k := range []string{"outputs", "execution_count"} {
			if v, ok := m[k]; ok {
				c.Extra[k] = v
			}
		}
		c.Outputs, c.ExecutionCount = nil, nil
	}
	if c.Metadata == nil {
		c.Metadata = map[string]any{}
	}
	return c, nil
}

func parseOutput(raw json.RawMessage) (*Output, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.New("not a JSON object")
	}
	o := &Output{Extra: map[string]json.RawMessage{}}
	if err := decodeFields(m, map[string]any{
		"output_type":     &o.Type,
		"name":            &o.Name,
		"text":            joined{&o.Text},
		"data":            &o.Data,
		"metadata":        &o.Metadata,
		"execution_count": &o.ExecutionCount,
		"ename":           &o.Ename,
		"evalue":          &o.Evalue,
		"traceback":       &o.Traceback,
	}, o.Extra); err != nil {
		return nil, err
	}
	switch o.Type {
	case "stream", "display_data", "execute_result", "error":
	case "":
		return nil, errors.New(`missing "output_type"`)
	default:
		return nil, fmt.Errorf("unknown output_type %q", o.Type)
	}
	return o, nil
}

// MarshalJSON encodes the notebook as nbformat 4 JSON.
//
// nbformat 4.5 requires cell ids: cells without one get a fresh random id.
func (nb *Notebook) MarshalJSON() ([]byte, error) {
	if nb.NBFormat == 4 && nb.NBFormatMinor >= 5 {
		for _, c := range nb.Cells {
			if c.ID == "" {
				var b [8]byte
				_, _ = rand.Read(b[:])
				c.ID = hex.EncodeToString(b[:])
			}
		}
	}
	m := withExtra(nb.Extra)
	m["nbformat"] = nb.NBFormat
	m["nbformat_minor"] = nb.NBFormatMinor
	m["metadata"] = orEmptyMap(nb.Metadata)
	m["cells"] = orEmpty(nb.Cells)
	return marshal(m)
}

// MarshalJSON encodes the cell with the fields nbformat requires for its type.
func (c *Cell) MarshalJSON() ([]byte, error) {
	m := withExtra(c.Extra)
	if c.ID != "" {
		m["id"] = c.ID
	}
	m["cell_type"] = c.Type
	m["source"] = splitLines(c.Source)
	m["metadata"] = orEmptyMap(c.Metadata)
	if c.Type == "code" {
		m["execution_count"] = c.ExecutionCount
		m["outputs"] = orEmpty(c.Outputs)
	}
	return marshal(m)
}

// MarshalJSON encodes the output with the fields nbformat requires for its type.
func (o *Output) MarshalJSON() ([]byte, error) {
	m := withExtra(o.Extra)
	m["output_type"] = o.Type
	switch o.Type {
	case "stream":
		m["name"] = o.Name
		m["text"] = splitLines(o.Text)
	case "display_data", "execute_result":
		m["data"], m["metadata"] = orEmptyMap(o.Data), orEmptyMap(o.Metadata)
		if o.Type == "execute_result" {
			m["execution_count"] = o.ExecutionCount
		}
	case "error":
		m["ename"], m["evalue"], m["traceback"] = o.Ename, o.Evalue, orEmpty(o.Traceback)
	}
	return marshal(m)
}

// withExtra starts the fields to encode with a copy of the unknown fields kept from parsing.
func withExtra(extra map[string]json.RawMessage) map[string]any {
	m := make(map[string]any, len(extra))
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// orEmptyMap returns m, or an empty map where m is nil, so that it encodes as {}.
func orEmptyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// orEmpty returns s, or an empty slice where s is nil, so that it encodes as [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// Encode returns the notebook as indented JSON (one-space indent, sorted keys, like Jupyter).
func (nb *Notebook) Encode() ([]byte, error) {
	compact, err := nb.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, compact, "", " "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// WriteFile writes the notebook to path atomically: to a temporary file in the same directory,
// then renamed over path.
func (nb *Notebook) WriteFile(path string) error {
	data, err := nb.Encode()
	if err != nil {
		return fmt.Errorf("notebook: encoding %s: %w", path, err)
	}
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("notebook: writing %s: %w", path, err)
	}
	return nil
}

// NewCodeCell returns a code cell with source src, not yet executed.
func NewCodeCell(src string) *Cell {
	return &Cell{Type: "code", Source: src, Metadata: map[string]any{}, Extra: map[string]json.RawMessage{}}
}

// NewMarkdownCell returns a markdown cell with source src.
func NewMarkdownCell(src string) *Cell {
	return &Cell{Type: "markdown", Source: src, Metadata: map[string]any{}, Extra: map[string]json.RawMessage{}}
}
