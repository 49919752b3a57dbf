package batch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/fluxcore/fluxcore/internal/atomicfile"
)

// Manifest describes a job: what is computed, from what, and how it is cut. Every shard
// writes the same one; the first publishes it and the others check theirs against it, so
// that a directory never mixes the outputs of two different jobs.
type Manifest struct {
	Format   int    `json:"format"`
	Kind     string `json:"kind"` // fno, conserve or kalman
	Fluxcore string `json:"fluxcore_version"`
	// Files are the checksummed files the output depends on (model, config, face data), by role.
	Files map[string]FileSum `json:"files"`
	// Input identifies the input (Input.Fingerprint).
	Input InputID `json:"input"`
	// Settings are the options that change the output, by flag name.
	Settings map[string]string `json:"settings"`
	// Inputs are the arrays read a chunk at a time (arrays shared by every sample are
	// covered by Input's fingerprint), and Outputs those written, each a file per chunk.
	Inputs       []ArraySpec `json:"inputs"`
	Outputs      []ArraySpec `json:"outputs"`
	Samples      int         `json:"samples"`
	ChunkSize    int         `json:"chunk_size"`
	Chunks       int         `json:"chunks"`
	CreatedUTC   time.Time   `json:"created_utc"`
	CreatedShard string      `json:"created_by_shard"`
}

// FileSum is a file and the SHA-256 of its content.
type FileSum struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// InputID is the input's files and fingerprint.
type InputID struct {
	Paths       []string `json:"paths"`
	Fingerprint string   `json:"fingerprint"`
}

// manifestFormat is the version of the manifest's layout (2: named, typed arrays).
const manifestFormat = 2

const (
	manifestName = "job.json"
	chunksDir    = "chunks"
	shardsDir    = "shards"
)

// chunkName is the file name of a chunk's output array, from the chunk's index and the
// array's name.
const chunkName = "chunk-%07d.%s.npy"

// ChunkPath is where chunk c's output array name lives in dir.
func ChunkPath(dir string, c int, name string) string {
	return filepath.Join(dir, chunksDir, fmt.Sprintf(chunkName, c, name))
}

func shardPath(dir string, s Shard) string {
	return filepath.Join(dir, shardsDir, fmt.Sprintf("shard-%05d-of-%05d.json", s.Index, s.Count))
}

// ErrMismatch marks a directory that holds another job's outputs.
var ErrMismatch = errors.New("the output directory holds another job")

// Prepare makes dir ready for m: it creates the directory, and publishes m unless a
// manifest is there already, which must then describe the same job. With force, an existing
// job's manifest, chunks and shard records are removed first.
func Prepare(dir string, m *Manifest, force bool) error {
	if force {
		for _, name := range []string{manifestName, chunksDir, shardsDir} {
			if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
				return fmt.Errorf("batch: --force: %w", err)
			}
		}
	}
	for _, sub := range []string{chunksDir, shardsDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("batch: %w", err)
		}
	}
	if err := checkSpecs(m.Outputs); err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	m.Format = manifestFormat
	published, err := publishOnce(filepath.Join(dir, manifestName), m)
	if err != nil || published {
		return err
	}
	old, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	if diff := old.differs(m); diff != "" {
		return fmt.Errorf("batch: %s: %w: %s; pass --force to start over, or use another --out-dir", dir, ErrMismatch, diff)
	}
	return nil
}

// publishOnce writes m to path unless a file is there (atomicfile.WriteNew), so that
// concurrent shards see either no manifest or a whole one, and exactly one publishes.
func publishOnce(path string, m *Manifest) (bool, error) {
	raw, err := indentedJSON(m)
	if err != nil {
		return false, err
	}
	created, err := atomicfile.WriteNew(path, raw)
	if err != nil {
		return false, fmt.Errorf("batch: publish the manifest: %w", err)
	}
	return created, nil
}

// ReadManifest reads dir's job manifest.
func ReadManifest(dir string) (*Manifest, error) {
	raw, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("batch: %s: %w", filepath.Join(dir, manifestName), err)
	}
	if m.Format != manifestFormat {
		return nil, fmt.Errorf("batch: %s: manifest format %d, this fluxcore reads %d", dir, m.Format, manifestFormat)
	}
	if m.Chunks < 1 || m.Chunks > MaxChunks || m.ChunkSize < 1 || m.Samples < 1 {
		return nil, fmt.Errorf("batch: %s: manifest has %d chunks of %d for %d samples", dir, m.Chunks, m.ChunkSize, m.Samples)
	}
	if err := checkSpecs(m.Outputs); err != nil {
		return nil, fmt.Errorf("batch: %s: manifest: %w", dir, err)
	}
	return &m, nil
}

// arrayName is what an output's name may be: it is part of a file name.
var arrayName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// checkSpecs refuses no outputs, and a name or dtype that a chunk file cannot carry.
func checkSpecs(outputs []ArraySpec) error {
	if len(outputs) == 0 {
		return errors.New("no outputs")
	}
	for _, s := range outputs {
		if !arrayName.MatchString(s.Name) {
			return fmt.Errorf("output name %q: want a letter, then up to 63 letters, digits or _", s.Name)
		}
		if s.DType != "<f4" && s.DType != "<f8" && s.DType != "<i4" {
			return fmt.Errorf("output %s: dtype %q, want <f4, <f8 or <i4", s.Name, s.DType)
		}
	}
	return nil
}

// differs names the first way in which m and n describe different jobs ("" if none).
// The fluxcore version, creation time and paths may differ: the same files moved, or a
// shard on a node with another build, compute the same job.
func (m *Manifest) differs(n *Manifest) string {
	switch {
	case m.Kind != n.Kind:
		return fmt.Sprintf("it was made by `batch %s`, this is `batch %s`", m.Kind, n.Kind)
	case m.Input.Fingerprint != n.Input.Fingerprint:
		return fmt.Sprintf("its input %v has another fingerprint than %v", m.Input.Paths, n.Input.Paths)
	case m.ChunkSize != n.ChunkSize:
		return fmt.Sprintf("its chunk size is %d, this run's %d", m.ChunkSize, n.ChunkSize)
	case m.Samples != n.Samples || !specsEqual(m.Inputs, n.Inputs) || !specsEqual(m.Outputs, n.Outputs):
		return fmt.Sprintf("it maps %d samples of %v to %v, this run %d of %v to %v",
			m.Samples, m.Inputs, m.Outputs, n.Samples, n.Inputs, n.Outputs)
	}
	for _, role := range sortedKeys(m.Files, n.Files) {
		if m.Files[role].SHA256 != n.Files[role].SHA256 {
			return fmt.Sprintf("its %s is %q (sha256 %.12s), this run's %q (sha256 %.12s)", role,
				m.Files[role].Path, m.Files[role].SHA256, n.Files[role].Path, n.Files[role].SHA256)
		}
	}
	for _, name := range sortedKeys(m.Settings, n.Settings) {
		if m.Settings[name] != n.Settings[name] {
			return fmt.Sprintf("its %s is %q, this run's %q", name, m.Settings[name], n.Settings[name])
		}
	}
	return ""
}

func sortedKeys[V any](a, b map[string]V) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// ShardRecord is what a shard reports of itself, rewritten atomically as it starts and
// ends; `batch status` reads them.
type ShardRecord struct {
	Index      int       `json:"index"`
	Count      int       `json:"count"`
	Source     string    `json:"source"`
	ChunkLo    int       `json:"chunk_lo"`
	ChunkHi    int       `json:"chunk_hi"`
	State      string    `json:"state"` // running, done, stopped or failed
	Message    string    `json:"message,omitempty"`
	Device     string    `json:"device"`
	Host       string    `json:"host"`
	Fluxcore   string    `json:"fluxcore_version"`
	StartedUTC time.Time `json:"started_utc"`
	UpdatedUTC time.Time `json:"updated_utc"`
}

func writeShardRecord(dir string, s Shard, r *ShardRecord) error {
	r.UpdatedUTC = time.Now().UTC()
	raw, err := indentedJSON(r)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(shardPath(dir, s), raw); err != nil {
		return fmt.Errorf("batch: shard record: %w", err)
	}
	return nil
}

// ReadShardRecords reads every shard record in dir, in file-name order.
func ReadShardRecords(dir string) ([]ShardRecord, error) {
	paths, err := filepath.Glob(filepath.Join(dir, shardsDir, "shard-*.json"))
	if err != nil {
		return nil, err
	}
	var out []ShardRecord
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("batch: %w", err)
		}
		var r ShardRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("batch: %s: %w", p, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// indentedJSON is v as indented JSON for people to read, "<f4" as it is rather than
// HTML-escaped.
func indentedJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(v)
	return buf.Bytes(), err
}
