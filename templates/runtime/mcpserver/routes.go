package mcpserver

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
)

// publicSet is the set of public paths from clerk-mcp.yaml: exact paths
// ("/about") and prefixes ("/docs/*", which also covers "/docs").
//
// Whether a request is public is never decided on its path. The path a
// client sends has many spellings (percent-encoded slashes, "..", "//",
// trailing slashes) and http.ServeMux reads it its own way, so any check of
// the path beside the mux can disagree with the mux about which handler
// runs. Instead each handler is marked public or protected when it is
// registered, from its pattern: a pattern is public only when every path it
// can match is public. Whatever handler the mux then picks for a request
// brings its own protection.
type publicSet struct {
	exact    [][]string // segments of exact public paths
	prefixes [][]string // segments of public prefixes, without the "*"
}

func (p *publicSet) add(route string) {
	if prefix, ok := strings.CutSuffix(route, "/*"); ok {
		p.prefixes = append(p.prefixes, pathSegments(prefix))
		return
	}
	p.exact = append(p.exact, pathSegments(route))
}

// pathSegments splits a clean absolute path into its segments: "/a/b" is
// ["a" "b"], "/" is [].
func pathSegments(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// patternShape is what matters about a ServeMux pattern for deciding
// whether it is public: its leading literal segments, and whether those
// are all of it (the pattern matches exactly one path).
type patternShape struct {
	literals []string // unescaped literal segments before any wildcard or trailing slash
	exact    bool     // no wildcard, no trailing slash, no {$}: matches one path only
	// unclean: a literal segment is "." or "..", or holds a slash or a
	// backslash once unescaped. ServeMux accepts such patterns (without
	// a method, or for CONNECT) but what they match is not what they
	// read as, so they are never public.
	unclean bool
}

// parsePattern reads the path of a ServeMux pattern
// ("[METHOD ][HOST]/[PATH]") as net/http does: literal segments are
// unescaped, "{name}" and "{name...}" are wildcards, a trailing "/" or
// "{$}" ends the literal part.
func parsePattern(pattern string) (patternShape, error) {
	rest := strings.TrimLeft(pattern, " \t")
	if i := strings.IndexAny(rest, " \t"); i >= 0 {
		rest = strings.TrimLeft(rest[i:], " \t") // drop the method
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return patternShape{}, fmt.Errorf("pattern %q has no path", pattern)
	}
	rest = rest[i+1:] // the path without its leading slash (the host is dropped)
	var shape patternShape
	if rest == "" {
		return shape, nil // "/": matches everything
	}
	segs := strings.Split(rest, "/")
	literalPart := true
	for i, seg := range segs {
		last := i == len(segs)-1
		switch {
		case seg == "" && last: // trailing slash: a subtree
			literalPart = false
			continue
		case strings.HasPrefix(seg, "{"): // a wildcard or {$}
			literalPart = false
			continue
		}
		lit, err := url.PathUnescape(seg)
		if err != nil {
			return patternShape{}, fmt.Errorf("pattern %q: %v", pattern, err)
		}
		if lit == "" || lit == "." || lit == ".." || strings.ContainsAny(lit, "/\\") {
			shape.unclean = true
		}
		if literalPart {
			shape.literals = append(shape.literals, lit)
		}
	}
	shape.exact = literalPart
	return shape, nil
}

// covers reports whether every path that a pattern of this shape matches is
// public.
func (p *publicSet) covers(shape patternShape) bool {
	if shape.unclean {
		return false
	}
	if shape.exact {
		for _, e := range p.exact {
			if slices.Equal(shape.literals, e) {
				return true
			}
		}
	}
	for _, prefix := range p.prefixes {
		if len(shape.literals) >= len(prefix) && slices.Equal(shape.literals[:len(prefix)], prefix) {
			return true
		}
	}
	return false
}

// coversRequest reports whether the path of r, read as ServeMux reads it
// (segments split on the escaped path, then each unescaped), is public. It
// decides only what the mux answers itself when no route matches; a path
// that the mux would first clean is never public.
func (p *publicSet) coversRequest(r *http.Request) bool {
	escaped := r.URL.EscapedPath()
	if escaped == "" || escaped[0] != '/' || path.Clean(escaped) != escaped {
		return false
	}
	var segs []string
	for _, seg := range pathSegments(escaped) {
		lit, err := url.PathUnescape(seg)
		if err != nil {
			return false
		}
		segs = append(segs, lit)
	}
	return p.covers(patternShape{literals: segs, exact: true})
}

// CheckPublicRoute refuses public routes that are not clean absolute paths
// or that would expose the MCP transports.
func CheckPublicRoute(route string) error {
	p := strings.TrimSuffix(route, "/*")
	if !strings.HasPrefix(route, "/") || strings.ContainsAny(route, " \t?#%{}\\;") || (p != "" && path.Clean(p) != p) || strings.Contains(p, "*") {
		return fmt.Errorf("public route %q: use a clean path such as /about, or a prefix such as /docs/*", route)
	}
	for _, t := range []string{PathStreamable, PathSSE} {
		if p == "" || p == t || strings.HasPrefix(t, p+"/") {
			return fmt.Errorf("public route %q would make %s public; the MCP endpoints always need a token", route, t)
		}
	}
	return nil
}
