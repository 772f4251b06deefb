// Command gonbpatch writes the patched copy of GoNB and the go.mod that scripts/setup.sh builds
// the kernel with (see package kernel/gonbpatch), and prints that go.mod's path. Run it in the
// project's root.
//
// Usage:
//
//	go run ./kernel/cmd/gonbpatch -o bin/.gonb-build
//	go build -modfile bin/.gonb-build/go.mod -o bin/ tool
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/labnotes/labnotes/kernel/gonbpatch"
)

func main() {
	out := flag.String("o", "bin/.gonb-build", "folder for the patched GoNB and its go.mod")
	flag.Parse()
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", gonbpatch.Module).Output()
	if err != nil || strings.TrimSpace(string(dir)) == "" {
		fmt.Fprintf(os.Stderr, "gonbpatch: finding %s in the module cache (go list -m): %v\n", gonbpatch.Module, err)
		os.Exit(1)
	}
	path, err := gonbpatch.Write(strings.TrimSpace(string(dir)), *out, "go.mod")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(path)
}
