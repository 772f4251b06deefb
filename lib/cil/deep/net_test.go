package deep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/cil"
)

func randX(n, dim int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 2))
	x := make([]float32, n*dim)
	for i := range x {
		x[i] = float32(rng.Float64())
	}
	return x
}

// refDense is x [n, in] · w [in, out] + b, optionally ReLU'd.
func refDense(x []float32, n, in int, w, b []float32, out int, relu bool) []float32 {
	y := make([]float32, n*out)
	for i := range n {
		for j := range out {
			s := float64(b[j])
			for k := range in {
				s += float64(x[i*in+k]) * float64(w[k*out+j])
			}
			if relu && s < 0 {
				s = 0
			}
			y[i*out+j] = float32(s)
		}
	}
	return y
}

// refConvPool is a 3x3 same-padded convolution of x [n, h, w, cin] with
// kernel [3, 3, cin, cout] and bias, ReLU, then 2x2 max pooling.
func refConvPool(x []float32, n, h, wd, cin int, k, b []float32, cout int) []float32 {
	conv := make([]float32, n*h*wd*cout)
	for i := range n {
		for r := range h {
			for c := range wd {
				for o := range cout {
					s := float64(b[o])
					for dr := -1; dr <= 1; dr++ {
						for dc := -1; dc <= 1; dc++ {
							rr, cc := r+dr, c+dc
							if rr < 0 || rr >= h || cc < 0 || cc >= wd {
								continue
							}
							for ci := range cin {
								s += float64(x[((i*h+rr)*wd+cc)*cin+ci]) * float64(k[(((dr+1)*3+dc+1)*cin+ci)*cout+o])
							}
						}
					}
					conv[((i*h+r)*wd+c)*cout+o] = float32(max(s, 0))
				}
			}
		}
	}
	h2, w2 := h/2, wd/2
	out := make([]float32, n*h2*w2*cout)
	for i := range n {
		for r := range h2 {
			for c := range w2 {
				for o := range cout {
					m := float32(math.Inf(-1))
					for dr := range 2 {
						for dc := range 2 {
							m = max(m, conv[((i*h+2*r+dr)*wd+2*c+dc)*cout+o])
						}
					}
					out[((i*h2+r)*w2+c)*cout+o] = m
				}
			}
		}
	}
	return out
}

// refLogits is the naive forward of n on x [rows, dim].
func refLogits(n *net, x []float32, rows int) []float32 {
	get := func(s *model.Scope, name string) []float32 { v, _ := value(s, name); return v }
	var feats [][]float32
	bases := make([][]float32, n.bases)
	for k := range n.tops {
		b := min(k, n.bases-1)
		// The variable paths of the package doc, written out.
		bp, tp := n.store.Scope(fmt.Sprintf("/net/base_%d", b)), n.store.Scope(fmt.Sprintf("/net/top_%d", k))
		if bases[b] == nil {
			if n.kind == MLP {
				d := bp.At("dense_0")
				bases[b] = refDense(x, rows, n.dim, get(d, "w"), get(d, "b"), n.hidden, true)
			} else {
				c := bp.At("conv_0")
				bases[b] = refConvPool(x, rows, n.shape[0], n.shape[1], n.shape[2], get(c, "w"), get(c, "b"), convChannels[0])
			}
		}
		var f []float32
		if n.kind == MLP {
			d := tp.At("dense_1")
			f = refDense(bases[b], rows, n.hidden, get(d, "w"), get(d, "b"), n.hidden, true)
		} else {
			c, d := tp.At("conv_1"), tp.At("dense")
			h := refConvPool(bases[b], rows, n.shape[0]/2, n.shape[1]/2, convChannels[0], get(c, "w"), get(c, "b"), convChannels[1])
			in := n.shape[0] / 4 * n.shape[1] / 4 * convChannels[1]
			f = refDense(h, rows, in, get(d, "w"), get(d, "b"), n.hidden, true)
		}
		feats = append(feats, f)
	}
	fd := n.feat()
	cat := make([]float32, rows*fd)
	for k, f := range feats {
		for i := range rows {
			copy(cat[i*fd+k*n.hidden:i*fd+(k+1)*n.hidden], f[i*n.hidden:(i+1)*n.hidden])
		}
	}
	head := n.store.Scope("/head")
	return refDense(cat, rows, fd, get(head, "w"), get(head, "b"), n.classes, false)
}

// maxDiff is max |a − b|, +Inf if the lengths differ or a value is not
// finite.
func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		e := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(e) || math.IsInf(float64(a[i]), 0) || math.IsInf(float64(b[i]), 0) {
			return math.Inf(1)
		}
		d = max(d, e)
	}
	return d
}

// layout is a network of the forward tests: bases base blocks, tops top
// blocks and a head of outs classes.
type layout struct {
	name         string
	kind         Backbone
	dim          int
	shape        []int
	bases, tops  int
	hidden, outs int
}

// layouts are every backbone layout (one backbone; DER's K backbones;
// MEMO's shared base and K tops) of the MLP and the CNN.
var layouts = []layout{
	{"mlp", MLP, 12, nil, 1, 1, 8, 3},
	{"mlp-der", MLP, 12, nil, 3, 3, 8, 5},
	{"mlp-memo", MLP, 12, nil, 1, 3, 8, 5},
	{"cnn", CNN, 8 * 8 * 2, []int{8, 8, 2}, 1, 1, 6, 4},
	{"cnn-der", CNN, 8 * 8 * 2, []int{8, 8, 2}, 2, 2, 6, 4},
	{"cnn-memo", CNN, 8 * 8 * 2, []int{8, 8, 2}, 1, 2, 6, 4},
}

// net builds the layout's network, its head created after the first top
// block so that the later ones grow it (new rows).
func (c layout) net(be compute.Backend) *net {
	n := newNet(be, c.kind, c.dim, c.shape, c.hidden, 3)
	for range c.bases {
		n.addBase()
	}
	n.addTop()
	n.resizeHead(c.outs)
	for range c.tops - 1 {
		n.addTop()
	}
	return n
}

// TestForward checks every layout's float32 logits against a naive Go
// forward on the same weights, then its BFloat16 logits and features
// against the float32 ones (within bf16ForwardTol of their range).
func TestForward(t *testing.T) {
	be := testutil.Backend(t)
	for _, tc := range layouts {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.net(be)
			const rows = 5
			x := randX(rows, tc.dim, 4)
			got := n.logits(x, 4) // two batches, the second padded
			want := refLogits(n, x, rows)
			if d := maxDiff(got, want); d > 1e-4 {
				t.Errorf("logits differ from the naive forward by %g\ngot  %v\nwant %v", d, got, want)
			}
			feats := n.featuresOf(x, 4)
			n.dtype = dtypes.BFloat16
			n.dropExecs()
			for _, c := range []struct {
				what      string
				got, want []float32
			}{{"logits", n.logits(x, 4), got}, {"features", n.featuresOf(x, 4), feats}} {
				rel := maxDiff(c.got, c.want) / maxAbs(c.want)
				t.Logf("bfloat16 %s: max |bf16 − f32| / max |f32| = %.4f", c.what, rel)
				if !(rel <= bf16ForwardTol) || rel == 0 {
					t.Errorf("bfloat16 %s differ from float32's by %.4f of their range, want in (0, %g]", c.what, rel, bf16ForwardTol)
				}
			}
		})
	}
}

// lossAndGrads returns l's objective on (x, y, w, old) and its gradient
// with respect to the variables at paths.
func lossAndGrads(t *testing.T, l *Learner, obj objective, vs []*model.Variable, args ...*tensors.Tensor) (float64, [][]float32) {
	t.Helper()
	e, err := model.NewExec(l.be, l.net.store, func(scope *model.Scope, in []*Node) []*Node {
		scope.Store().SetTraining(in[0].Graph(), true)
		var old *Node
		if len(in) > 3 {
			old = in[3]
		}
		loss := l.lossGraph(obj, in[0], in[1], in[2], old)
		return append([]*Node{loss}, graph.Gradient(loss, nodes(loss.Graph(), vs)...)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Finalize()
	in := make([]any, len(args))
	for i, a := range args {
		in[i] = a
	}
	out, err := e.Exec(in...)
	if err != nil {
		t.Fatal(err)
	}
	grads := make([][]float32, len(vs))
	for i := range vs {
		grads[i] = tensors.MustCopyFlatData[float32](out[i+1])
	}
	return float64(tensors.MustCopyFlatData[float32](out[0])[0]), grads
}

// TestGradient compares GoMLX's gradient of the training objective (CE over
// the new classes + KD on the old ones + the DER auxiliary loss) with
// central finite differences, on tiny two-backbone MLP and CNN.
func TestGradient(t *testing.T) {
	be := testutil.Backend(t)
	for _, tc := range []struct {
		kind  Backbone
		dim   int
		shape []int
	}{{MLP, 3, nil}, {CNN, 4 * 4 * 2, []int{4, 4, 2}}} {
		t.Run(string(tc.kind), func(t *testing.T) {
			l, err := New(be, DER, Options{Hidden: 4, Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			const rows, known, seen = 4, 2, 4
			n := newNet(be, tc.kind, tc.dim, tc.shape, 4, 9)
			n.addBase()
			n.addTop()
			n.addBase()
			n.addTop()
			n.resizeHead(seen)
			n.create(n.store.RootScope(), layer{ScopeAux, false, 4, seen - known + 1})
			l.net = n
			x := randX(rows, tc.dim, 1)
			y := []int32{2, 3, 3, 0}
			w := []float32{1, 1, 0.5, 1}
			old := randX(rows, known, 2)
			args := []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, rows, tc.dim), tensors.FromFlatDataAndDimensions(y, rows),
				tensors.FromFlatDataAndDimensions(w, rows), tensors.FromFlatDataAndDimensions(old, rows, known)}
			obj := objective{CEFrom: 1, CEWeight: 0.7, KD: 3, Known: known, T: 2, Aux: 1}
			vs := vars(n.scope(ScopeNet), n.scope(ScopeHead), n.scope(ScopeAux))
			_, grads := lossAndGrads(t, l, obj, vs, args...)
			const eps = 1e-3
			checked, skipped, nonzero := 0, 0, 0
			for i, v := range vs {
				vals, dims := values(v)
				for _, j := range []int{0, len(vals) / 2, len(vals) - 1} {
					orig := vals[j]
					at := func(x float32) float64 {
						vals[j] = x
						if err := v.SetValue(tensors.FromFlatDataAndDimensions(append([]float32(nil), vals...), dims...)); err != nil {
							t.Fatal(err)
						}
						loss, _ := lossAndGrads(t, l, obj, nil, args...)
						return loss
					}
					lp, l0, lm := at(orig+eps), at(orig), at(orig-eps)
					fd := (lp - lm) / (2 * eps)
					if math.Abs((lp-l0)-(l0-lm))/eps > 1e-3+0.1*math.Abs(fd) {
						skipped++ // a ReLU or max-pool kink within ±eps: the one-sided slopes differ
						continue
					}
					g := float64(grads[i][j])
					if math.Abs(g-fd) > 2e-3+2e-2*math.Abs(fd) {
						t.Errorf("d loss / d %s[%d]: GoMLX %.6f, finite difference %.6f (one-sided %.6f, %.6f)", v.Path(), j, g, fd, (lp-l0)/eps, (l0-lm)/eps)
					}
					if math.Abs(g) > 1e-3 {
						nonzero++
					}
					checked++
				}
			}
			t.Logf("%d gradient entries checked (%d non-zero), %d skipped at kinks", checked, nonzero, skipped)
			if checked < 3*8 || skipped > 5 || nonzero < checked/3 {
				t.Errorf("checked %d entries (%d non-zero), skipped %d at kinks", checked, nonzero, skipped)
			}
		})
	}
}

// TestFisher checks EWC's Fisher of the head (a multinomial logistic
// regression on the frozen features) against a hand computation: the mean
// over minibatches of the squared gradient of the batch-mean
// cross-entropy, (p − onehot(y))ᵀ·φ / m for the weights and Σ(p − onehot)/m
// for the biases.
func TestFisher(t *testing.T) {
	be := testutil.Backend(t)
	l, err := New(be, EWC, Options{Hidden: 4, Batch: 4, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	const dim, rows, classes, h = 5, 10, 3, 4
	n := newNet(be, MLP, dim, nil, h, 11)
	n.addBase()
	n.addTop()
	n.resizeHead(classes)
	l.net = n
	d := &cil.Data{X: randX(rows, dim, 3), Y: []int32{0, 1, 2, 0, 1, 2, 2, 1, 0, 0}, Dim: dim}
	head := n.scope(ScopeHead)
	got := l.fisher(d, []*model.Variable{variable(head, "w"), variable(head, "b")})

	feats := n.featuresOf(d.X, 8)
	w, _ := value(head, "w")
	b, _ := value(head, "b")
	wantW, wantB := make([]float64, h*classes), make([]float64, classes)
	batches := 0
	for at := 0; at < rows; at += 4 {
		m := min(4, rows-at)
		gw, gb := make([]float64, h*classes), make([]float64, classes)
		for i := at; i < at+m; i++ {
			z := make([]float64, classes)
			zmax := math.Inf(-1)
			for c := range classes {
				z[c] = float64(b[c])
				for k := range h {
					z[c] += float64(feats[i*h+k]) * float64(w[k*classes+c])
				}
				zmax = max(zmax, z[c])
			}
			sum := 0.0
			for c := range z {
				z[c] = math.Exp(z[c] - zmax)
				sum += z[c]
			}
			for c := range classes {
				r := z[c] / sum
				if int32(c) == d.Y[i] {
					r--
				}
				gb[c] += r / float64(m)
				for k := range h {
					gw[k*classes+c] += r * float64(feats[i*h+k]) / float64(m)
				}
			}
		}
		for j := range gw {
			wantW[j] += gw[j] * gw[j]
		}
		for j := range gb {
			wantB[j] += gb[j] * gb[j]
		}
		batches++
	}
	check := func(name string, got []float32, want []float64) {
		for j := range want {
			want[j] /= float64(batches)
			if math.Abs(float64(got[j])-want[j]) > 1e-6+1e-3*want[j] {
				t.Errorf("Fisher of %s[%d]: %g, by hand %g", name, j, got[j], want[j])
			}
		}
	}
	if batches != 3 {
		t.Fatalf("%d batches, want 3", batches)
	}
	check("head/w", got[0], wantW)
	check("head/b", got[1], wantB)
}

// TestWeightAlign checks weight aligning on a hand-made head: the new
// classes' weight vectors are scaled so that their mean norm equals the old
// ones'; the old ones are left; gamma > 1 is applied only with AlignAlways.
func TestWeightAlign(t *testing.T) {
	be := testutil.Backend(t)
	for _, tc := range []struct {
		name   string
		w      []float32 // head/w [2 features, 4 classes]: columns are the classes' weight vectors
		always bool
		gamma  float64
		want   []float32
	}{
		// Old norms 1 and 2 (mean 1.5), new 5 and 1 (mean 3): gamma 0.5.
		{"shrink", []float32{1, 0, 3, 1, 0, 2, 4, 0}, false, 0.5, []float32{1, 0, 1.5, 0.5, 0, 2, 2, 0}},
		// Old norms 5 and 1 (mean 3), new 1 and 2 (mean 1.5): gamma 2, not applied by default.
		{"no-grow", []float32{3, 0, 1, 0, 4, 1, 0, 2}, false, 2, []float32{3, 0, 1, 0, 4, 1, 0, 2}},
		{"always", []float32{3, 0, 1, 0, 4, 1, 0, 2}, true, 2, []float32{3, 0, 2, 0, 4, 1, 0, 4}},
	} {
		l, _ := New(be, WA, Options{AlignAlways: tc.always})
		n := newNet(be, MLP, 2, nil, 2, 1)
		head := n.scope(ScopeHead)
		n.set(head, "w", tensors.FromFlatDataAndDimensions(tc.w, 2, 4))
		n.set(head, "b", tensors.FromFlatDataAndDimensions([]float32{0, 0, 0, 0}, 4))
		n.classes, n.tops = 4, 1
		l.net = n
		l.alignWeights(2)
		got, _ := value(head, "w")
		if maxDiff(got, tc.want) > 1e-6 || len(l.Gammas) != 1 || math.Abs(l.Gammas[0]-tc.gamma) > 1e-6 {
			t.Errorf("%s: aligned head/w %v (gammas %v), want %v (gamma %g)", tc.name, got, l.Gammas, tc.want, tc.gamma)
		}
	}
}

// TestOptimizers checks three steps of the in-graph Adam and SGD updates
// against PyTorch's formulas computed here in float64.
func TestOptimizers(t *testing.T) {
	be := testutil.Backend(t)
	grads := [][]float32{{0.5, -1, 2e-3}, {0.1, 0.3, -4}, {-0.7, 0, 1}}
	theta0 := []float32{1, -2, 0.5}
	for _, opt := range []Optimizer{Adam, SGD} {
		l, _ := New(be, Finetune, Options{Optimizer: opt, LR: 0.1, WeightDecay: 0.01})
		o := l.opts
		n := newNet(be, MLP, 1, nil, 1, 1)
		net := n.scope(ScopeNet)
		n.set(net, "p", tensors.FromFlatDataAndDimensions(append([]float32(nil), theta0...), 3))
		l.net = n
		p := variable(net, "p")
		l.optimizerVars([]*model.Variable{p})
		e, err := model.NewExec(be, n.store, func(scope *model.Scope, gr *Node) *Node {
			scope.Store().SetTraining(gr.Graph(), true)
			l.update(gr.Graph(), []*model.Variable{p}, []*Node{gr})
			return gr
		})
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float64, 3)
		m, v := make([]float64, 3), make([]float64, 3)
		for i := range want {
			want[i] = float64(theta0[i])
		}
		for step, g := range grads {
			if _, err := e.Exec(tensors.FromFlatDataAndDimensions(g, 3)); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				gi := float64(g[i]) + o.WeightDecay*want[i]
				switch opt {
				case Adam: // torch.optim.Adam
					m[i] = 0.9*m[i] + 0.1*gi
					v[i] = 0.999*v[i] + 0.001*gi*gi
					mh := m[i] / (1 - math.Pow(0.9, float64(step+1)))
					vh := v[i] / (1 - math.Pow(0.999, float64(step+1)))
					want[i] -= o.LR * mh / (math.Sqrt(vh) + 1e-8)
				case SGD: // torch.optim.SGD with momentum
					m[i] = o.Momentum*m[i] + gi
					want[i] -= o.LR * m[i]
				}
			}
		}
		got, _ := values(p)
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > 1e-5 {
				t.Errorf("%s: θ[%d] = %.7f after 3 steps, PyTorch's formula %.7f", opt, i, got[i], want[i])
			}
		}
		e.Finalize()
	}
}
