package main

import (
	"context"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/kernel/notebook"

	"github.com/labnotes/labnotes/internal/testutil"
)

func TestRunArgumentErrors(t *testing.T) {
	dir := t.TempDir()
	nb := testutil.WriteFile(t, dir, "in.ipynb", `{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}`)
	tests := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no notebook", []string{}, true, "exactly one NOTEBOOK"},
		{"two notebooks", []string{nb, nb}, true, "exactly one NOTEBOOK"},
		{"bad parameter", []string{nb, "-p", "scale"}, true, "expected name=value"},
		{"unknown flag", []string{nb, "--bogus"}, true, "bogus"},
		{"output is input", []string{nb, "-o", nb}, false, "is the input notebook"},
		{"negative timeout", []string{nb, "--timeout", "-5s"}, true, "--timeout -5s is negative"},
		{"missing params file", []string{nb, "-f", filepath.Join(dir, "none.yaml")}, false, "none.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args)
			var u usageErr
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.As(err, &u) != tc.usage {
				t.Fatalf("run(%q) = %v; want an error containing %q (usage error: %v)", tc.args, err, tc.want, tc.usage)
			}
		})
	}
}

func TestParseInterleaved(t *testing.T) {
	var ps params
	fsArgs := []string{"-p", "a=1", "nb.ipynb", "-p", "b=x=y", "other.ipynb"}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.Var(&ps, "p", "parameter")
	pos, err := parseInterleaved(fs, fsArgs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pos, ",") != "nb.ipynb,other.ipynb" || strings.Join(ps, ",") != "a=1,b=x=y" {
		t.Fatalf("positional %q, params %q", pos, ps)
	}
}

func TestPrintParams(t *testing.T) {
	ps, err := notebook.ParseParameters("// Problem size: smoke, cpu or gpu.\nvar scale = \"cpu\"\nvar epochs int8 = 10 // passes\n")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := printParams(&b, "x.ipynb", true, ps, false); err != nil {
		t.Fatal(err)
	}
	want := "NAME    TYPE    DEFAULT  DESCRIPTION\n" +
		"scale   string  \"cpu\"    Problem size: smoke, cpu or gpu.\n" +
		"epochs  int8    10       passes\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := printParams(&b, "x.ipynb", true, ps, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"go_type": "int8"`) || !strings.Contains(b.String(), `"doc": "passes"`) {
		t.Errorf("json: %s", b.String())
	}
	b.Reset()
	printParams(&b, "x.ipynb", false, nil, false)
	if !strings.Contains(b.String(), "no code cell tagged") {
		t.Errorf("no-parameters notebook: %q", b.String())
	}
}
