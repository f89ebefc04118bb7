package generator

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// onDisk is what inspect found at a path of a project.
type onDisk struct {
	exists  bool   // something is there (Lstat), even a dangling symlink
	symlink string // the first component of the path that is a symlink, "" if none
	data    []byte // the content, following symlinks; nil when there is no file to read
}

// inspect looks at rel (slash-separated) under root one component at a
// time, without writing anything. A directory where a file goes, or a file
// where a directory goes, is an error saying what to move.
func inspect(root, rel string) (onDisk, error) {
	var d onDisk
	elems := strings.Split(rel, "/")
	cur := root
	for i, elem := range elems {
		cur = filepath.Join(cur, elem)
		sofar := strings.Join(elems[:i+1], "/")
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return onDisk{symlink: d.symlink}, nil
		}
		if errors.Is(err, syscall.ENOTDIR) {
			return d, fmt.Errorf("%s is a file, but a directory goes there; move it away and try again", filepath.Dir(cur))
		}
		if err != nil {
			return d, fmt.Errorf("cannot read %s (%v); fix that and try again", cur, pathErrText(err))
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if d.symlink == "" {
				d.symlink = sofar
			}
			target, err := os.Stat(cur)
			if err != nil {
				if i == len(elems)-1 {
					return onDisk{exists: true, symlink: d.symlink}, nil // dangling
				}
				return onDisk{symlink: d.symlink}, nil
			}
			fi = target
		}
		if i < len(elems)-1 && !fi.IsDir() {
			return d, fmt.Errorf("%s is a file, but a directory goes there; move it away and try again", cur)
		}
		if i == len(elems)-1 && fi.IsDir() {
			return d, fmt.Errorf("%s is a directory, but a file goes there; move it away and try again", cur)
		}
	}
	data, err := os.ReadFile(cur)
	if err != nil {
		return d, fmt.Errorf("cannot read %s (%v); fix that and try again", cur, pathErrText(err))
	}
	d.exists, d.data = true, data
	return d, nil
}

// pathErrText is err without the path of a *fs.PathError (which may be a
// temporary file's), for messages that name the path themselves.
func pathErrText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return err.Error()
}

// normalizeEOL turns CRLF line endings into LF.
func normalizeEOL(b []byte) []byte {
	if !bytes.Contains(b, []byte("\r\n")) {
		return b
	}
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
}

// usesCRLF reports whether most lines of b end in CRLF (as git's
// core.autocrlf checks files out on Windows).
func usesCRLF(b []byte) bool {
	crlf := bytes.Count(b, []byte("\r\n"))
	return crlf > 0 && crlf >= bytes.Count(b, []byte("\n"))-crlf
}

// toCRLF ends every line of b in CRLF.
func toCRLF(b []byte) []byte {
	return bytes.ReplaceAll(normalizeEOL(b), []byte("\n"), []byte("\r\n"))
}

// sameText reports whether a and b are equal but for line-ending style.
func sameText(a, b []byte) bool {
	return bytes.Equal(a, b) || bytes.Equal(normalizeEOL(a), normalizeEOL(b))
}

// inStyleOf returns data with the line endings that like uses.
func inStyleOf(data, like []byte) []byte {
	if usesCRLF(like) {
		return toCRLF(data)
	}
	return data
}

// declaredInPackage maps the top-level identifiers declared by the Go files
// of package pkg in root/dir (test files included, since `go test`
// compiles them with the others) to the file (slash path) declaring them.
// Files that do not parse are left out; a missing directory declares
// nothing.
func declaredInPackage(root, dir, pkg string) map[string]string {
	out := map[string]string{}
	entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(dir)))
	if err != nil {
		return out
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(dir), e.Name()))
		if err != nil {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), src, parser.SkipObjectResolution)
		if err != nil || f.Name.Name != pkg {
			continue
		}
		rel := dir + "/" + e.Name()
		for _, name := range topLevelNames(f) {
			if _, ok := out[name]; !ok {
				out[name] = rel
			}
		}
	}
	return out
}

func topLevelNames(f *ast.File) []string {
	var names []string
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name != "init" && d.Name.Name != "_" {
				names = append(names, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					names = append(names, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.Name != "_" {
							names = append(names, n.Name)
						}
					}
				}
			}
		}
	}
	return names
}

// CheckNewTool checks, before add-tool, that scaffolding tool t into the
// project at root gives a project that builds. A file already at the
// handler's path that declares the handler is kept (kept is true); one
// that does not is refused, since skipping it would leave the generated
// registry calling a function that does not exist.
func CheckNewTool(root string, t Tool) (kept bool, err error) {
	return checkNewHandler(root, ToolFile(t.Name), ToolIdent(t.Name), toolKind, t.Name)
}

// CheckNewPrompt is CheckNewTool for add-prompt.
func CheckNewPrompt(root string, p Prompt) (kept bool, err error) {
	return checkNewHandler(root, PromptFile(p.Name), ToolIdent(p.Name), promptKind, p.Name)
}

// CheckNewResource is CheckNewTool for add-resource.
func CheckNewResource(root string, r Resource) (kept bool, err error) {
	return checkNewHandler(root, ResourceFile(r.Name), ToolIdent(r.Name), resourceKind, r.Name)
}

func checkNewHandler(root, rel, ident string, kind *entryKind, name string) (bool, error) {
	d, err := inspect(root, rel)
	if err != nil || d.data == nil {
		return false, err
	}
	if declaredInPackage(root, kind.dir, kind.dir)[ident] == rel {
		return true, nil
	}
	return false, fmt.Errorf("%s already exists and does not declare %s, the handler of %s %q; move that file away or choose another %s name (nothing was changed)", rel, ident, kind.singular, name, kind.singular)
}
