// Package schematest checks JSON documents against JSON Schemas in tests, with an
// independent draft 2020-12 validator (santhosh-tekuri/jsonschema), after a strict decode.
// It lives apart from the packages whose schemas it checks, so that both their own tests
// and the command's can use it.
package schematest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Compile compiles the named schemas, whose text source gives, together, so that one may
// refer to another by its $id; it returns them by name.
func Compile(t testing.TB, source func(name string) ([]byte, error), names ...string) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	ids := map[string]string{}
	for _, name := range names {
		raw, err := source(name)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("schema %s: %v", name, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if id == "" {
			t.Fatalf("schema %s has no $id", name)
		}
		ids[name] = id
		if err := c.AddResource(id, doc); err != nil {
			t.Fatalf("schema %s: %v", name, err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for name, id := range ids {
		sch, err := c.Compile(id)
		if err != nil {
			t.Fatalf("schema %s: %v", name, err)
		}
		out[name] = sch
	}
	return out
}

// Validate checks raw against sch, after a strict decode: encoding/json accepts no NaN or
// Infinity, and jsonschema.UnmarshalJSON keeps numbers exact. what names raw in failures.
func Validate(t testing.TB, sch *jsonschema.Schema, what string, raw []byte) {
	t.Helper()
	var strict any
	if err := json.Unmarshal(raw, &strict); err != nil {
		t.Fatalf("%s: not strict JSON: %v", what, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s does not validate: %v", what, err)
	}
}
