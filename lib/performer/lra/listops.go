package lra

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Op is a ListOps operator, or Leaf for a digit.
type Op int

// The ListOps operators (as in the Long Range Arena's ListOps).
const (
	Leaf   Op = iota // A single digit 0-9.
	Max              // [MAX: the largest argument.
	Min              // [MIN: the smallest argument.
	Med              // [MED: the median, truncated to an integer (int(np.median) in LRA).
	SumMod           // [SM: the sum of the arguments modulo 10.
)

var opNames = [...]string{Leaf: "", Max: "[MAX", Min: "[MIN", Med: "[MED", SumMod: "[SM"}

// String returns the operator's token, e.g. "[MAX".
func (o Op) String() string {
	if o < 0 || int(o) >= len(opNames) {
		return fmt.Sprintf("Op(%d)", int(o))
	}
	return opNames[o]
}

// Token ids of ListOps sequences. Token 0 is padding; digits d are d+1.
const (
	ListOpsPad      = 0
	ListOpsDigit0   = 1  // Digits 0..9 are tokens 1..10.
	ListOpsMax      = 11 // "[MAX"
	ListOpsMin      = 12 // "[MIN"
	ListOpsMed      = 13 // "[MED"
	ListOpsSumMod   = 14 // "[SM"
	ListOpsClose    = 15 // "]"
	ListOpsVocab    = 16 // Number of token ids.
	ListOpsClasses  = 10 // Values 0..9.
	listOpsFirstOp  = ListOpsMax
	listOpsMaxDepth = 64
)

// Expr is a ListOps expression: a digit (Op == Leaf) or an operator
// applied to one or more arguments.
type Expr struct {
	Op    Op
	Value int // The digit, for Op == Leaf.
	Args  []*Expr
}

// Eval returns the exact value of the expression, 0..9.
func (e *Expr) Eval() int {
	if e.Op == Leaf {
		return e.Value
	}
	vals := make([]int, len(e.Args))
	for i, a := range e.Args {
		vals[i] = a.Eval()
	}
	switch e.Op {
	case Max:
		return slices.Max(vals)
	case Min:
		return slices.Min(vals)
	case Med:
		slices.Sort(vals)
		n := len(vals)
		if n%2 == 1 {
			return vals[n/2]
		}
		return (vals[n/2-1] + vals[n/2]) / 2 // int(np.median): truncation of x.5.
	case SumMod:
		s := 0
		for _, v := range vals {
			s += v
		}
		return s % 10
	}
	panic(errors.Errorf("lra: invalid ListOps operator %d", int(e.Op)))
}

// Len returns the number of tokens of the expression.
func (e *Expr) Len() int {
	if e.Op == Leaf {
		return 1
	}
	n := 2 // Operator and "]".
	for _, a := range e.Args {
		n += a.Len()
	}
	return n
}

// Depth returns the nesting depth: 0 for a digit, 1 for an operator over
// digits, and so on.
func (e *Expr) Depth() int {
	d := 0
	for _, a := range e.Args {
		d = max(d, 1+a.Depth())
	}
	return d
}

// String returns the expression in ListOps' text form, tokens separated by
// spaces, e.g. "[MAX 2 9 [MIN 4 7 ] 0 ]".
func (e *Expr) String() string {
	var sb strings.Builder
	e.write(&sb)
	return sb.String()
}

func (e *Expr) write(sb *strings.Builder) {
	if e.Op == Leaf {
		sb.WriteString(strconv.Itoa(e.Value))
		return
	}
	sb.WriteString(e.Op.String())
	for _, a := range e.Args {
		sb.WriteByte(' ')
		a.write(sb)
	}
	sb.WriteString(" ]")
}

// Tokens returns the expression's token ids (see ListOpsDigit0 and friends).
func (e *Expr) Tokens() []int32 {
	out := make([]int32, 0, e.Len())
	var walk func(e *Expr)
	walk = func(e *Expr) {
		if e.Op == Leaf {
			out = append(out, int32(ListOpsDigit0+e.Value))
			return
		}
		out = append(out, int32(listOpsFirstOp+int(e.Op)-int(Max)))
		for _, a := range e.Args {
			walk(a)
		}
		out = append(out, ListOpsClose)
	}
	walk(e)
	return out
}

// ParseListOps parses a ListOps expression in text form (tokens separated by
// white space; "(" and ")" as in the LRA TSV files are ignored).
func ParseListOps(s string) (*Expr, error) {
	var toks []string
	for _, t := range strings.Fields(s) {
		if t != "(" && t != ")" {
			toks = append(toks, t)
		}
	}
	p := &parser{toks: toks}
	e, err := p.parse(0)
	if err != nil {
		return nil, err
	}
	if p.pos != len(toks) {
		return nil, errors.Errorf("lra: ListOps: unexpected %q at token %d after a complete expression", toks[p.pos], p.pos)
	}
	return e, nil
}

type parser struct {
	toks []string
	pos  int
}

func (p *parser) parse(depth int) (*Expr, error) {
	if p.pos >= len(p.toks) {
		return nil, errors.Errorf("lra: ListOps: unexpected end of expression at token %d", p.pos)
	}
	if depth > listOpsMaxDepth {
		return nil, errors.Errorf("lra: ListOps: expression nested deeper than %d", listOpsMaxDepth)
	}
	t := p.toks[p.pos]
	p.pos++
	if len(t) == 1 && t[0] >= '0' && t[0] <= '9' {
		return &Expr{Op: Leaf, Value: int(t[0] - '0')}, nil
	}
	op := Leaf
	for o := Max; o <= SumMod; o++ {
		if t == o.String() {
			op = o
		}
	}
	if op == Leaf {
		return nil, errors.Errorf("lra: ListOps: unknown token %q at %d", t, p.pos-1)
	}
	e := &Expr{Op: op}
	for {
		if p.pos >= len(p.toks) {
			return nil, errors.Errorf("lra: ListOps: missing \"]\" for %s", op)
		}
		if p.toks[p.pos] == "]" {
			p.pos++
			break
		}
		a, err := p.parse(depth + 1)
		if err != nil {
			return nil, err
		}
		e.Args = append(e.Args, a)
	}
	if len(e.Args) == 0 {
		return nil, errors.Errorf("lra: ListOps: %s without arguments", op)
	}
	return e, nil
}

// ListOpsConfig configures the ListOps generator. It follows the Long Range
// Arena's generator: a node at depth < MaxDepth is an operator with
// probability 1/4 (a digit otherwise), with 2..MaxArgs arguments; the root
// is always an operator, and expressions whose token length falls outside
// [MinLength, MaxLength] are rejected. LRA used MaxDepth 10, MaxArgs 10 and
// lengths 500..2000.
type ListOpsConfig struct {
	MinLength, MaxLength int
	MaxDepth, MaxArgs    int
	Seed                 uint64
}

// Example is one sequence classification example: tokens and a label.
type Example struct {
	Tokens []int32
	Label  int32
}

// maxTries bounds the rejection sampling of one expression.
const maxTries = 1_000_000

// Generate returns n expressions, deterministic for a given config. It
// returns an error if the configuration is invalid or the lengths are
// (practically) unreachable with its depth and arguments.
func (c ListOpsConfig) Generate(n int) ([]*Expr, error) {
	if c.MaxDepth < 1 || c.MaxArgs < 2 || c.MinLength < 0 || c.MaxLength < max(c.MinLength, 4) {
		return nil, errors.Errorf("lra: invalid ListOps config %+v: need MaxDepth >= 1, MaxArgs >= 2, 4 <= MaxLength, MinLength <= MaxLength", c)
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x6c6973746f7073))
	out := make([]*Expr, 0, n)
	for range n {
		var e *Expr
		for try := 0; ; try++ {
			if try == maxTries {
				return nil, errors.Errorf("lra: ListOps config %+v: no expression of length %d..%d in %d tries", c, c.MinLength, c.MaxLength, maxTries)
			}
			var l int
			e, l = c.tree(rng, 0, c.MaxLength)
			if e != nil && l >= c.MinLength && l <= c.MaxLength {
				break
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// tree generates a subtree at depth; it gives up (returning nil) as soon as
// the length exceeds budget.
func (c ListOpsConfig) tree(rng *rand.Rand, depth, budget int) (*Expr, int) {
	if depth > 0 && (depth >= c.MaxDepth || rng.Float64() >= 0.25) {
		return &Expr{Op: Leaf, Value: rng.IntN(10)}, 1
	}
	e := &Expr{Op: Max + Op(rng.IntN(4))}
	nArgs := 2 + rng.IntN(c.MaxArgs-1)
	l := 2
	for range nArgs {
		a, al := c.tree(rng, depth+1, budget-l)
		if a == nil {
			return nil, 0
		}
		e.Args = append(e.Args, a)
		l += al
		if l > budget {
			return nil, 0
		}
	}
	return e, l
}

// ListOpsExamples generates n ListOps examples (tokens and value).
func ListOpsExamples(c ListOpsConfig, n int) ([]Example, error) {
	exprs, err := c.Generate(n)
	if err != nil {
		return nil, err
	}
	ex := make([]Example, n)
	for i, e := range exprs {
		ex[i] = Example{Tokens: e.Tokens(), Label: int32(e.Eval())}
	}
	return ex, nil
}

// MajorityBaseline returns the accuracy of always predicting the most
// frequent label of examples.
func MajorityBaseline(examples []Example) float64 {
	if len(examples) == 0 {
		return 0
	}
	counts := map[int32]int{}
	best := 0
	for _, e := range examples {
		counts[e.Label]++
		best = max(best, counts[e.Label])
	}
	return float64(best) / float64(len(examples))
}
