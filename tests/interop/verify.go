// An independent verifier of forewarn's transparency log, built on Go's
// reference code (golang.org/x/mod/sumdb/note and sumdb/tlog, Debian package
// golang-golang-x-mod-dev): it shares no code with forewarn. Used by
// tests/api/test_log.sh through run.sh; nothing here is shipped.
//
//	verify URL TOKEN VKEY
//
// opens /log/checkpoint with the verifier key, reads every tile through
// tlog.TileHashReader (which checks each tile against the signed root),
// hashes every entry of the entry bundles, and checks forewarn's JSON
// inclusion and consistency proofs with tlog.CheckRecord and tlog.CheckTree.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var base, token string

func get(path string) []byte {
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fail("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		fail("GET %s: %s", path, resp.Status)
	}
	return b
}

func fail(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "interop: "+f+"\n", a...)
	os.Exit(1)
}

// C2SP tlog-tiles drops the height from Go's sumdb path (tile/8/L/N).
type reader struct{}

func (reader) Height() int { return 8 }
func (reader) SaveTiles([]tlog.Tile, [][]byte) {}
func (reader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		out[i] = get("/log/" + strings.Replace(t.Path(), "tile/8/", "tile/", 1))
	}
	return out, nil
}

func proof(b []byte) []tlog.Hash {
	var j struct{ Proof []string }
	if err := json.Unmarshal(b, &j); err != nil {
		fail("proof json: %v", err)
	}
	var p []tlog.Hash
	for _, s := range j.Proof {
		h, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(h) != 32 {
			fail("proof hash %q", s)
		}
		var x tlog.Hash
		copy(x[:], h)
		p = append(p, x)
	}
	return p
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: verify URL TOKEN VKEY")
	}
	base, token = os.Args[1], os.Args[2]
	v, err := note.NewVerifier(os.Args[3])
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg := get("/log/checkpoint")
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("note.Open: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != v.Name() {
		fail("checkpoint text %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	rootb, err2 := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || err2 != nil || len(rootb) != 32 || size < 2 {
		fail("checkpoint fields %q", n.Text)
	}
	var tree tlog.Tree
	tree.N = size
	copy(tree.Hash[:], rootb)
	thr := tlog.TileHashReader(tree, reader{})
	th, err := tlog.TreeHash(size, thr)
	if err != nil || th != tree.Hash {
		fail("TreeHash from tiles: %v", err)
	}
	// Every entry: hashed from its bundle, proven with forewarn's proof.
	var entries [][]byte
	for t := int64(0); t*256 < size; t++ {
		w := size - t*256
		path := fmt.Sprintf("/log/tile/entries/%s", strings.TrimPrefix(tlog.Tile{H: 8, L: 0, N: t, W: 256}.Path(), "tile/8/0/"))
		if w < 256 {
			path = fmt.Sprintf("/log/tile/entries/%s", strings.TrimPrefix(tlog.Tile{H: 8, L: 0, N: t, W: int(w)}.Path(), "tile/8/0/"))
		}
		b := get(path)
		for len(b) > 0 {
			if len(b) < 2 {
				fail("bundle truncated")
			}
			l := int(b[0])<<8 | int(b[1])
			if len(b) < 2+l {
				fail("bundle truncated")
			}
			entries = append(entries, b[2:2+l])
			b = b[2+l:]
		}
	}
	if int64(len(entries)) != size {
		fail("%d entries in bundles, checkpoint says %d", len(entries), size)
	}
	for i, e := range entries {
		leaf := tlog.RecordHash(e)
		p := proof(get(fmt.Sprintf("/api/v1/log/proof/inclusion?index=%d&size=%d", i, size)))
		if err := tlog.CheckRecord(p, size, tree.Hash, int64(i), leaf); err != nil {
			fail("CheckRecord %d: %v", i, err)
		}
		// And Go's own proof from our tiles.
		gp, err := tlog.ProveRecord(size, int64(i), thr)
		if err != nil || tlog.CheckRecord(gp, size, tree.Hash, int64(i), leaf) != nil {
			fail("ProveRecord %d from tiles: %v", i, err)
		}
	}
	for m := int64(1); m < size; m++ {
		old, err := tlog.TreeHash(m, thr)
		if err != nil {
			fail("TreeHash(%d): %v", m, err)
		}
		p := proof(get(fmt.Sprintf("/api/v1/log/proof/consistency?from=%d&to=%d", m, size)))
		if err := tlog.CheckTree(p, size, tree.Hash, m, old); err != nil {
			fail("CheckTree %d->%d: %v", m, size, err)
		}
	}
	fmt.Printf("interop: Go sumdb verified checkpoint %d, %d tiles-backed inclusion proofs, %d consistency proofs\n",
		size, size, size-1)
}
