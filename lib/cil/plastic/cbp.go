package plastic

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/gomlx/core/graph"
)

// Units is the view continual backprop needs of one hidden layer of n
// units, whatever network holds it: the weights into the layer, its bias,
// the weights out of it, and the optimizer state of each (any number of
// slices shaped like the weights they belong to: momentum, Adam's m, v and
// per-weight step; nil when the optimizer keeps none). A network exposes
// its layers this way, [CBP.Replace] edits them in place, the network
// copies them back.
//
// A unit of a dense layer is a column of In and a row of Out. A unit of a
// convolution is an output channel: its kernel [kh, kw, c, N] is In with
// FanIn = kh·kw·c, and the channel feeds Groups rows of the next layer's
// weights: Groups = 9 for a 3x3 convolution [3, 3, N, FanOut] (rows
// (kr·3 + kc)·N + u), one per position for a dense layer on the flattened
// [h, w, N] feature map (rows p·N + u).
type Units struct {
	N, FanIn, FanOut int
	// Groups is the number of rows of Out that each unit feeds (0 counts as 1).
	Groups    int
	In        []float32   // [FanIn, N] row-major: column u holds unit u's input weights
	Bias      []float32   // [N]
	Out       []float32   // [Groups·N, FanOut]: rows g·N + u hold unit u's outgoing weights
	InState   [][]float32 // optimizer state of In, each [FanIn, N]
	BiasState [][]float32 // of Bias, each [N]
	OutState  [][]float32 // of Out, each [Groups·N, FanOut]
}

// groups is Groups, at least 1.
func (u Units) groups() int { return max(u.Groups, 1) }

// check reports a Units whose slices do not match its sizes.
func (u Units) check() error {
	bad := u.Groups < 0 || len(u.In) != u.FanIn*u.N || len(u.Bias) != u.N || len(u.Out) != u.groups()*u.N*u.FanOut
	for _, s := range u.InState {
		bad = bad || len(s) != len(u.In)
	}
	for _, s := range u.BiasState {
		bad = bad || len(s) != len(u.Bias)
	}
	for _, s := range u.OutState {
		bad = bad || len(s) != len(u.Out)
	}
	if bad {
		return fmt.Errorf("plastic: Units of N %d, FanIn %d, FanOut %d, Groups %d: want In [FanIn·N], Bias [N], Out [Groups·N·FanOut] and states shaped alike; got %d, %d, %d",
			u.N, u.FanIn, u.FanOut, u.Groups, len(u.In), len(u.Bias), len(u.Out))
	}
	return nil
}

// Reinit reinitializes unit k: its input weights redrawn from U(±bound),
// its bias and outgoing weights (all Groups rows) zero, and the optimizer
// state of all three zero. With zero outgoing weights the new unit does not
// change the network's outputs when it appears.
func (u Units) Reinit(k int, bound float64, rng *rand.Rand) {
	for i := range u.FanIn {
		u.In[i*u.N+k] = float32((2*rng.Float64() - 1) * bound)
		for _, s := range u.InState {
			s[i*u.N+k] = 0
		}
	}
	u.Bias[k] = 0
	for _, s := range u.BiasState {
		s[k] = 0
	}
	for g := range u.groups() {
		row := g*u.N + k
		clear(u.Out[row*u.FanOut : (row+1)*u.FanOut])
		for _, s := range u.OutState {
			clear(s[row*u.FanOut : (row+1)*u.FanOut])
		}
	}
}

// Utility is continual backprop's running contribution utility of a
// layer's units after one step: decay·util + (1 − decay)·mean |act[..., u]|
// · mean |out[g·N + u, j]|, for util [N], the activations act [B, N] (a
// convolution's [B, h, w, N]: the mean runs over every axis but the last)
// and the outgoing weights out [Groups·N, FanOut] (the mean runs over g and
// j; see [Units]). It starts at zero; [CBP] divides it by 1 − decay^age
// (bias correction) before ranking units.
func Utility(util, act, out *Node, decay float64) *Node {
	n := util.Shape().Dim(0)
	if act.Shape().Dim(-1) != n || out.Rank() != 2 || out.Shape().Dim(0)%n != 0 {
		panic(fmt.Sprintf("plastic: Utility of %d units: want act [..., %d] and out [Groups·%d, FanOut], got %s and %s", n, n, n, act.Shape(), out.Shape()))
	}
	axes := make([]int, act.Rank()-1)
	for i := range axes {
		axes[i] = i
	}
	outMean := graph.ReduceMean(graph.Abs(graph.Reshape(out, out.Shape().Dim(0)/n, n, out.Shape().Dim(1))), 0, 2)
	contrib := graph.Mul(graph.ReduceMean(graph.Abs(act), axes...), outMean)
	return graph.Add(graph.MulScalar(util, decay), graph.MulScalar(contrib, 1-decay))
}

// ShrinkPerturb is shrink & perturb on w: (1 − shrink)·w + sigma·noise,
// noise ~ N(0, 1) shaped like w (nil: no perturbation).
func ShrinkPerturb(w, noise *Node, shrink, sigma float64) *Node {
	if shrink > 0 {
		w = graph.MulScalar(w, 1-shrink)
	}
	if noise != nil && sigma > 0 {
		w = graph.Add(w, graph.MulScalar(noise, sigma))
	}
	return w
}

// CBP is continual backprop's generate-and-test for a network's hidden
// layers (Dohare et al., 2024): every step each unit ages by one; the
// units older than Maturity are eligible; a layer accumulates Rho times
// its number of eligible units, and whenever the accumulator reaches 1
// its integer part is the number of eligible units with the lowest
// bias-corrected utility that are replaced ([Units.Reinit]); their age
// and utility restart at zero. The ages and accumulators live here, the
// utilities in the learner's graph ([Utility]).
type CBP struct {
	cfg      CBPConfig
	ages     [][]int
	acc      []float64
	replaced []int64
	rng      *rand.Rand
}

// NewCBP tracks hidden layers of the given widths.
func NewCBP(units []int, cfg CBPConfig, seed uint64) *CBP {
	c := &CBP{cfg: cfg, acc: make([]float64, len(units)), replaced: make([]int64, len(units)),
		rng: rand.New(rand.NewPCG(seed, 0xcb1))}
	for _, n := range units {
		c.ages = append(c.ages, make([]int, n))
	}
	return c
}

// eligible is the number of units of layer l older than Maturity after
// ahead more steps.
func (c *CBP) eligible(l, ahead int) int {
	e := 0
	for _, a := range c.ages[l] {
		if a+ahead > c.cfg.Maturity {
			e++
		}
	}
	return e
}

// Next returns how many steps, at most limit, can run before (and
// including) the next step at which a replacement is due in some layer:
// run that many, then [CBP.Advance].
func (c *CBP) Next(limit int) int {
	acc := slices.Clone(c.acc)
	for t := 1; t <= limit; t++ {
		for l := range acc {
			acc[l] += c.cfg.Rho * float64(c.eligible(l, t))
			if acc[l] >= 1 {
				return t
			}
		}
	}
	return limit
}

// Advance ages every unit by steps and returns, per layer, the number of
// units due for replacement now (all due counts are deferred to the last
// of the steps: run [CBP.Next] steps at a time to replace at the exact
// step).
func (c *CBP) Advance(steps int) []int {
	due := make([]int, len(c.ages))
	for range steps {
		for l := range c.ages {
			for u := range c.ages[l] {
				c.ages[l][u]++
			}
			c.acc[l] += c.cfg.Rho * float64(c.eligible(l, 0))
			if c.acc[l] >= 1 {
				k := math.Floor(c.acc[l])
				c.acc[l] -= k
				due[l] += int(k)
			}
		}
	}
	return due
}

// Ages returns a copy of the ages of layer l's units.
func (c *CBP) Ages(l int) []int { return slices.Clone(c.ages[l]) }

// Replaced returns the number of units replaced so far per layer.
func (c *CBP) Replaced() []int64 { return slices.Clone(c.replaced) }

// Replace replaces count units of layer l: the eligible ones with the
// lowest bias-corrected utility util[u] / (1 − Decay^age[u]) (util [N], the
// running utility, is zeroed at the replaced units), reinitialized in u
// with input weights from U(±bound). It returns the units replaced.
func (c *CBP) Replace(l, count int, util []float32, u Units, bound float64) []int {
	if err := u.check(); err != nil {
		panic(err.Error())
	}
	if len(util) != u.N || u.N != len(c.ages[l]) {
		panic(fmt.Sprintf("plastic: CBP.Replace: %d utilities and %d units, layer %d has %d", len(util), u.N, l, len(c.ages[l])))
	}
	var cand []int
	for k, a := range c.ages[l] {
		if a > c.cfg.Maturity {
			cand = append(cand, k)
		}
	}
	score := func(k int) float64 {
		return float64(util[k]) / (1 - math.Pow(c.cfg.Decay, float64(c.ages[l][k])))
	}
	slices.SortStableFunc(cand, func(a, b int) int {
		sa, sb := score(a), score(b)
		switch {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return 0
	})
	cand = cand[:min(count, len(cand))]
	for _, k := range cand {
		u.Reinit(k, bound, c.rng)
		util[k] = 0
		c.ages[l][k] = 0
	}
	c.replaced[l] += int64(len(cand))
	return cand
}
