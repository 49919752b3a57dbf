package kernels

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"io/fs"
	"slices"
	"strings"
	"unicode"
)

// LayoutDirective marks a Go constant block (or a single constant) whose values the kernels
// need: `//fc:c FC_TP_ TrajParam` above it exports every constant of the block to C as
// FC_TP_ + the upper snake case of its name without the Go prefix (TrajParamWeightGoal
// becomes FC_TP_WEIGHT_GOAL). The Go declaration is the single source; the C header is
// generated from it.
const LayoutDirective = "//fc:c "

// LayoutConst is one exported constant.
type LayoutConst struct {
	GoName, CName string
	Value         int64
}

// LayoutBlock is one marked block, in source order.
type LayoutBlock struct {
	File   string
	Consts []LayoutConst
}

// ParseLayout reads the marked constant blocks of the Go files in dir (engine/backend).
func ParseLayout(dir fs.FS) ([]LayoutBlock, error) {
	files, err := fs.Glob(dir, "*.go")
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	fset := token.NewFileSet()
	values := map[string]constant.Value{} // every constant seen so far, for references
	var blocks []LayoutBlock
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := fs.ReadFile(dir, name)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			block, err := evalConsts(gd, values)
			if err != nil {
				return nil, fmt.Errorf("kernels: %s: %w", name, err)
			}
			if block != nil {
				block.File = name
				blocks = append(blocks, *block)
			}
		}
	}
	return blocks, nil
}

// evalConsts evaluates a const declaration into values and, when it carries the directive,
// returns its exported block.
func evalConsts(gd *ast.GenDecl, values map[string]constant.Value) (*LayoutBlock, error) {
	cPrefix, goPrefix, marked := directive(gd.Doc)
	var block *LayoutBlock
	if marked {
		block = &LayoutBlock{}
	}
	var last []ast.Expr
	for iota, spec := range gd.Specs {
		vs := spec.(*ast.ValueSpec)
		if len(vs.Values) > 0 {
			last = vs.Values
		}
		for i, id := range vs.Names {
			if i >= len(last) {
				return nil, fmt.Errorf("constant %s has no value", id.Name)
			}
			v, err := evalExpr(last[i], iota, values)
			if err != nil {
				if marked {
					return nil, fmt.Errorf("constant %s: %w", id.Name, err)
				}
				continue // not the kernels' business
			}
			values[id.Name] = v
			if !marked {
				continue
			}
			n, exact := constant.Int64Val(v)
			if !exact || !strings.HasPrefix(id.Name, goPrefix) {
				return nil, fmt.Errorf("constant %s: want an integer named %s…", id.Name, goPrefix)
			}
			block.Consts = append(block.Consts, LayoutConst{GoName: id.Name, CName: cPrefix + UpperSnake(strings.TrimPrefix(id.Name, goPrefix)), Value: n})
		}
	}
	return block, nil
}

func directive(doc *ast.CommentGroup) (cPrefix, goPrefix string, ok bool) {
	if doc == nil {
		return "", "", false
	}
	for _, c := range doc.List {
		if rest, found := strings.CutPrefix(c.Text, LayoutDirective); found {
			f := strings.Fields(rest)
			if len(f) == 2 {
				return f[0], f[1], true
			}
		}
	}
	return "", "", false
}

// evalExpr evaluates the integer constant expressions the layouts use: literals, iota,
// other constants, parentheses and + − * << between them.
func evalExpr(e ast.Expr, iota int, values map[string]constant.Value) (constant.Value, error) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.INT {
			return constant.MakeFromLiteral(e.Value, e.Kind, 0), nil
		}
	case *ast.Ident:
		if e.Name == "iota" {
			return constant.MakeInt64(int64(iota)), nil
		}
		if v, ok := values[e.Name]; ok {
			return v, nil
		}
		return nil, fmt.Errorf("unknown constant %s", e.Name)
	case *ast.ParenExpr:
		return evalExpr(e.X, iota, values)
	case *ast.BinaryExpr:
		x, err := evalExpr(e.X, iota, values)
		if err != nil {
			return nil, err
		}
		y, err := evalExpr(e.Y, iota, values)
		if err != nil {
			return nil, err
		}
		switch e.Op {
		case token.ADD, token.SUB, token.MUL:
			return constant.BinaryOp(x, e.Op, y), nil
		case token.SHL:
			s, _ := constant.Uint64Val(y)
			return constant.Shift(x, token.SHL, uint(s)), nil
		}
	}
	return nil, fmt.Errorf("expression %T is not one the layout generator evaluates", e)
}

// UpperSnake turns a Go name part into C's style: WeightGoal → WEIGHT_GOAL, MaxNX → MAX_NX,
// NotPD → NOT_PD, Theta0 → THETA0.
func UpperSnake(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) {
			prevLower := unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1])
			acronymEnd := unicode.IsUpper(r[i-1]) && i+1 < len(r) && unicode.IsLower(r[i+1])
			if prevLower || acronymEnd {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToUpper(c))
	}
	return b.String()
}

// RenderLayout writes kernels/include/fc_layout_gen.h: one enum per marked block.
func RenderLayout(blocks []LayoutBlock) []byte {
	var b bytes.Buffer
	b.WriteString(`/* Code generated by go run ./kernels/gen from the //fc:c constant blocks of engine/backend; DO NOT EDIT.
 *
 * The sizes, indices and codes that Go and the kernels share. Go declares them once, in
 * engine/backend; this header is their C copy. */
#ifndef FC_LAYOUT_GEN_H
#define FC_LAYOUT_GEN_H
`)
	for _, bl := range blocks {
		fmt.Fprintf(&b, "\n/* engine/backend/%s */\nenum {\n", bl.File)
		for _, c := range bl.Consts {
			fmt.Fprintf(&b, "    %s = %d, /* %s */\n", c.CName, c.Value, c.GoName)
		}
		b.WriteString("};\n")
	}
	b.WriteString("\n#endif\n")
	return b.Bytes()
}
