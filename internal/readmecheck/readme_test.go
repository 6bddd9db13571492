// Package readmecheck holds the test that keeps README.md honest: every Go
// snippet in it compiles as written, against the modules of this workspace.
package readmecheck

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// root is the repository root, seen from this package's directory.
const root = "../.."

// snippets returns the ```go blocks of README.md in order.
func snippets(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	var out []string
	var cur *strings.Builder
	for line := range strings.Lines(string(data)) {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```go":
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line)
		}
	}
	require.Nil(t, cur, "README.md has an unterminated ```go block")
	return out
}

var packageClause = regexp.MustCompile(`(?m)^package (\w+)$`)

// TestSnippetsCompile builds (go vet) every Go snippet of README.md as a
// module of its own in a workspace with this repository's modules, as a new
// user pasting it into a file would. A snippet is a whole file: a main
// package, or a test file.
func TestSnippetsCompile(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	blocks := snippets(t)
	require.NotEmpty(t, blocks, "README.md has no Go snippet to check")

	dir := t.TempDir()
	work := []string{"go 1.26.0", "", "use ("}
	for _, m := range workspaceModules(t) {
		work = append(work, "\t"+m)
	}
	for i, src := range blocks {
		m := packageClause.FindStringSubmatch(src)
		require.NotNil(t, m, "README.md Go snippet %d is not a whole file (no package clause):\n%s", i+1, src)
		mod := filepath.Join(dir, fmt.Sprintf("snippet%d", i+1))
		require.NoError(t, os.MkdirAll(mod, 0o755))
		write(t, filepath.Join(mod, "go.mod"), fmt.Sprintf("module readme.example/snippet%d\n\ngo 1.26.0\n", i+1))
		file := "main.go"
		if pkg, isTest := strings.CutSuffix(m[1], "_test"); isTest {
			file = "snippet_test.go"
			write(t, filepath.Join(mod, "doc.go"), "package "+pkg+"\n")
		}
		write(t, filepath.Join(mod, file), src)
		work = append(work, "\t./"+filepath.Base(mod))
	}
	work = append(work, ")", "")
	write(t, filepath.Join(dir, "go.work"), strings.Join(work, "\n"))

	cmd := exec.CommandContext(t.Context(), "go", "vet", "readme.example/...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK="+filepath.Join(dir, "go.work"), "GOFLAGS=-mod=readonly")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "a Go snippet of README.md does not compile as written:\n%s", out)
}

// TestQuickStartIsTheExample keeps one copy of the quick start: the README's
// first snippet is examples/quickstart, which `go run` runs.
func TestQuickStartIsTheExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "examples", "quickstart", "main.go"))
	require.NoError(t, err)
	_, code, ok := strings.Cut(string(data), "package main\n")
	require.True(t, ok)
	blocks := snippets(t)
	require.NotEmpty(t, blocks)
	require.Equal(t, "package main\n"+code, blocks[0], "README.md's quick start differs from examples/quickstart/main.go")
}

// TestNoProjectHistory keeps README.md about the software: no words that
// point to how it was made, which a reader has no way to follow.
func TestNoProjectHistory(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	text := strings.ToLower(string(data))
	for _, w := range []string{"seed", "issue ", "reference §", "the lead", "helper"} {
		require.NotContains(t, text, w)
	}
}

// workspaceModules returns the absolute directories of the modules go.work
// uses.
func workspaceModules(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "go.work"))
	require.NoError(t, err)
	defer f.Close()
	abs, err := filepath.Abs(root)
	require.NoError(t, err)
	var mods []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "use ("):
			in = true
		case in && line == ")":
			in = false
		case in && line != "":
			mods = append(mods, filepath.Join(abs, line))
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, mods, "go.work lists no module")
	return mods
}

func write(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}
