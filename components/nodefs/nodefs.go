// Package nodefs is a node's disk: the files a kubeadm node keeps — the
// static pod manifests in /etc/kubernetes/manifests, the kubeconfigs in
// /etc/kubernetes, the kubelet's /var/lib/kubelet/config.yaml, the CNI
// configuration, /etc/resolv.conf — and the data directories programs keep
// there (etcd's /var/lib/etcd), mounted as the objects that hold them.
//
// The disk outlives the programs on the node, as a real disk does: a
// kubelet or a node restart finds the files as they were left. It is a
// plain data structure owned by the simulation's single runnable goroutine
// at a time (an actor reading it, the driver writing it from the node
// shell between steps), so it needs no lock. Paths are absolute and clean;
// directories exist implicitly, as the parents of files.
package nodefs

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"syscall"
)

// FS is one node's disk.
type FS struct {
	files   map[string]*file
	dirs    map[string]bool // directories made explicitly (they stay when empty)
	mounts  map[string]any
	version uint64
}

type file struct {
	data []byte
	mode fs.FileMode
}

// New returns an empty disk.
func New() *FS {
	return &FS{files: map[string]*file{}, dirs: map[string]bool{}, mounts: map[string]any{}}
}

// MkdirAll makes a directory (and its parents) that stays when empty.
func (f *FS) MkdirAll(p string) error {
	p, err := clean(p)
	if err != nil {
		return err
	}
	if _, ok := f.files[p]; ok {
		return &PathError{Op: "mkdir", Path: p, Err: syscall.EEXIST}
	}
	for d := p; d != "/"; d = path.Dir(d) {
		f.dirs[d] = true
	}
	f.version++
	return nil
}

// PathError is an error about a path, worded as the shell's tools word it:
// "open /etc/x: no such file or directory" (errors.Is(err, fs.ErrNotExist)
// holds for a missing path).
type PathError = fs.PathError

func clean(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%s: not an absolute path", p)
	}
	return path.Clean(p), nil
}

// Version counts the changes made to the disk: a reader polls it to notice
// a change (the kubelet watching its manifests).
func (f *FS) Version() uint64 { return f.version }

// ReadFile returns a file's contents (a copy).
func (f *FS) ReadFile(p string) ([]byte, error) {
	p, err := clean(p)
	if err != nil {
		return nil, err
	}
	fl, ok := f.files[p]
	if !ok {
		if f.IsDir(p) {
			return nil, &PathError{Op: "read", Path: p, Err: syscall.EISDIR}
		}
		return nil, &PathError{Op: "open", Path: p, Err: syscall.ENOENT}
	}
	return append([]byte(nil), fl.data...), nil
}

// WriteFile creates or replaces a file (its parents exist implicitly).
func (f *FS) WriteFile(p string, data []byte, mode fs.FileMode) error {
	p, err := clean(p)
	if err != nil {
		return err
	}
	if f.IsDir(p) {
		return &PathError{Op: "open", Path: p, Err: syscall.EISDIR}
	}
	if mode == 0 {
		mode = 0o644
	}
	f.files[p] = &file{data: append([]byte(nil), data...), mode: mode}
	f.version++
	return nil
}

// Remove deletes a file.
func (f *FS) Remove(p string) error {
	p, err := clean(p)
	if err != nil {
		return err
	}
	if _, ok := f.files[p]; !ok {
		return &PathError{Op: "remove", Path: p, Err: syscall.ENOENT}
	}
	delete(f.files, p)
	f.version++
	return nil
}

// Rename moves a file, or every file under a directory.
func (f *FS) Rename(from, to string) error {
	from, err := clean(from)
	if err != nil {
		return err
	}
	to, err = clean(to)
	if err != nil {
		return err
	}
	if fl, ok := f.files[from]; ok {
		if f.IsDir(to) {
			to = path.Join(to, path.Base(from))
		}
		delete(f.files, from)
		f.files[to] = fl
		f.version++
		return nil
	}
	if !f.IsDir(from) {
		return &PathError{Op: "rename", Path: from, Err: syscall.ENOENT}
	}
	for _, p := range f.under(from) {
		f.files[to+strings.TrimPrefix(p, from)] = f.files[p]
		delete(f.files, p)
	}
	for d := range f.dirs {
		if d == from || strings.HasPrefix(d, from+"/") {
			delete(f.dirs, d)
			f.dirs[to+strings.TrimPrefix(d, from)] = true
		}
	}
	if m, ok := f.mounts[from]; ok {
		delete(f.mounts, from)
		f.mounts[to] = m
	}
	f.version++
	return nil
}

// under lists the files below a directory, sorted.
func (f *FS) under(dir string) []string {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	var out []string
	for p := range f.files {
		if strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// IsDir reports whether p is a directory: the parent of a file, or a mount.
func (f *FS) IsDir(p string) bool {
	p = path.Clean(p)
	if p == "/" {
		return true
	}
	if f.dirs[p] {
		return true
	}
	prefix := p + "/"
	for m := range f.mounts {
		if m == p || strings.HasPrefix(m, prefix) {
			return true
		}
	}
	return len(f.under(p)) > 0
}

// Exists reports whether p is a file or a directory.
func (f *FS) Exists(p string) bool {
	p = path.Clean(p)
	_, ok := f.files[p]
	return ok || f.IsDir(p)
}

// Entry is one name in a directory.
type Entry struct {
	Name  string
	Dir   bool
	Size  int
	Mode  fs.FileMode
	Mount bool // a data directory a program keeps (etcd's)
}

// ReadDir lists a directory's entries, sorted by name.
func (f *FS) ReadDir(dir string) ([]Entry, error) {
	dir, err := clean(dir)
	if err != nil {
		return nil, err
	}
	if _, ok := f.files[dir]; ok {
		return nil, &PathError{Op: "readdirent", Path: dir, Err: syscall.ENOTDIR}
	}
	if !f.IsDir(dir) {
		return nil, &PathError{Op: "open", Path: dir, Err: syscall.ENOENT}
	}
	seen := map[string]*Entry{}
	prefix := strings.TrimSuffix(dir, "/") + "/"
	add := func(p string, size int, mode fs.FileMode, mount bool) {
		rest := strings.TrimPrefix(p, prefix)
		name, _, sub := strings.Cut(rest, "/")
		if _, ok := seen[name]; !ok {
			seen[name] = &Entry{Name: name}
		}
		e := seen[name]
		if sub || mount {
			e.Dir, e.Mode = true, fs.ModeDir|0o755
			e.Mount = e.Mount || (mount && !sub)
		} else {
			e.Size, e.Mode = size, mode
		}
	}
	for p, fl := range f.files {
		if strings.HasPrefix(p, prefix) {
			add(p, len(fl.data), fl.mode, false)
		}
	}
	for p := range f.mounts {
		if strings.HasPrefix(p, prefix) {
			add(p, 0, 0, true)
		}
	}
	for p := range f.dirs {
		if strings.HasPrefix(p, prefix) {
			add(p+"/", 0, 0, false)
		}
	}
	out := make([]Entry, 0, len(seen))
	for _, e := range seen {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Mount makes v the data directory at p (etcd's member directory).
func (f *FS) Mount(p string, v any) error {
	p, err := clean(p)
	if err != nil {
		return err
	}
	f.mounts[p] = v
	f.version++
	return nil
}

// Mounted returns the data directory at p, if any.
func (f *FS) Mounted(p string) (any, bool) {
	v, ok := f.mounts[path.Clean(p)]
	return v, ok
}

// Unmount removes the data directory at p (rm -rf of it).
func (f *FS) Unmount(p string) bool {
	p = path.Clean(p)
	if _, ok := f.mounts[p]; !ok {
		return false
	}
	delete(f.mounts, p)
	f.version++
	return true
}

// Files lists every file path, sorted (for `find` and tests).
func (f *FS) Files() []string {
	out := make([]string, 0, len(f.files))
	for p := range f.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
