package traj

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/fluxcore/fluxcore/internal/schematest"
)

// compileSchemas compiles the three shipped JSON Schemas.
func compileSchemas(t *testing.T) map[string]*jsonschema.Schema {
	return schematest.Compile(t, JSONSchema, "scenario", "plan", "plan-sim")
}

// Every shipped scenario validates against the scenario schema, and a scenario the parser
// refuses for an unknown key is refused by the schema too.
func TestScenarioSchemaAcceptsShipped(t *testing.T) {
	schemas := compileSchemas(t)
	files, _ := filepath.Glob("../../examples/*.json")
	more, _ := filepath.Glob("../../examples/closedloop/*.json")
	files = append(files, more...)
	files = append(files, "testdata/corridor.json")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		schematest.Validate(t, schemas["scenario"], f, raw)
	}
	bad := []byte(`{"robot": {"footprint": {"radius_m": 0.3}, "limits": {}, "speed": 1}, "guidance": {"path": [[0, 0], [1, 0]]}}`)
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if schemas["scenario"].Validate(inst) == nil {
		t.Error("the schema accepts an unknown key and missing limits")
	}
}

// The schema and the Go types name the same keys: walking Scenario's JSON tags and the
// schema's properties side by side, neither has a key the other lacks.
func TestScenarioSchemaMatchesTypes(t *testing.T) {
	raw, _ := JSONSchema("scenario")
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	compareKeys(t, "scenario", reflect.TypeFor[Scenario](), doc, doc["$defs"].(map[string]any))
}

func compareKeys(t *testing.T, path string, typ reflect.Type, node map[string]any, defs map[string]any) {
	t.Helper()
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
		if items, ok := node["items"].(map[string]any); ok {
			node = items
		}
	}
	if ref, ok := node["$ref"].(string); ok {
		node = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	}
	if typ.Kind() != reflect.Struct {
		return
	}
	props, _ := node["properties"].(map[string]any)
	var goKeys []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		goKeys = append(goKeys, name)
		sub, ok := props[name].(map[string]any)
		if !ok {
			t.Errorf("%s.%s: in the Go type, not in the schema", path, name)
			continue
		}
		compareKeys(t, path+"."+name, f.Type, sub, defs)
	}
	for name := range props {
		if !slices.Contains(goKeys, name) {
			t.Errorf("%s.%s: in the schema, not in the Go type", path, name)
		}
	}
}

// The plan and plan-sim reports validate against their schemas, with and without obstacles,
// driving and holding at the goal.
func TestReportsValidate(t *testing.T) {
	schemas := compileSchemas(t)
	e := openCPU(t)
	for _, name := range []string{"open_room", "crossing"} {
		s, err := LoadScenario("../../examples/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{Candidates: 64}
		p, err := NewPlanner(context.Background(), e.Backend(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		res, err := p.Plan(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ = cfg.withDefaults()
		schematest.Validate(t, schemas["plan"], name+" plan", mustJSON(t, res.Report(cfg, e.Backend().Name())))
		log, err := Simulate(context.Background(), p, s, 10, 30, nil)
		if err != nil {
			t.Fatal(err)
		}
		if last := log.Steps[len(log.Steps)-1]; last.Mode != ModeHold {
			t.Errorf("%s: after 30 s the mode is %v, want hold", name, last.Mode)
		}
		schematest.Validate(t, schemas["plan-sim"], name+" sim log", mustJSON(t, log.Report(10, e.Backend().Name())))
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
