package deep

import (
	"slices"
	"time"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/labnotes/labnotes/lib/cil"
)

// objective is the loss of one training run (see each Method's doc):
//
//	L = CEWeight · CE(z[:, CEFrom:], y − CEFrom)
//	  + KD · KD_T(z[:, :Known], z_old)            z_old: the previous model's logits, given
//	  + Aux · CE(aux(φ_K(x)), ŷ)                  ŷ = y − Known + 1 for new classes, 0 for old
//	  + EWC · Σ_i F_i (θ_i − θ*_i)² / 2
//
// averaged over the batch's examples, with KD_T(z, z') = −Σ_c
// softmax(z'/T)_c · log softmax(z/T)_c (PyCIL's _KD_loss, no T² factor).
type objective struct {
	CEFrom   int
	CEWeight float64
	KD       float64
	Known    int
	T        float64
	Aux      float64
	EWC      float64
}

// EpochInfo describes one training epoch of a Learn.
type EpochInfo struct {
	Task, Epoch int
	Examples    int     // training examples of the epoch (real ones, not padding)
	Steps       int     // optimizer steps
	Seconds     float64 // wall time of the epoch (batches built, steps run, losses read)
	Loss        float64 // mean training loss over the epoch's batches
}

// trainSet is what one fit trains on.
type trainSet struct {
	X   []float32 // [N, Dim]
	Y   []int32   // [N]
	Old []float32 // [N, Known] logits of the previous model, for KD (nil without)
}

func (s trainSet) len() int { return len(s.Y) }

// optimizerVars creates the optimizer state of the trainable variables:
// zeros at /opt/m<path> (and /opt/v<path> for Adam), and /opt/step.
func (l *Learner) optimizerVars(trainable []*model.Variable) {
	n := l.net
	opt := n.scope(scopeOpt)
	for _, v := range trainable {
		dims := v.Shape().Dimensions
		n.set(n.mirror(opt.At("m"), v), v.Name(), tensors.FromShape(v.Shape()))
		if l.opts.Optimizer == Adam {
			n.set(n.mirror(opt.At("v"), v), v.Name(), tensors.FromFlatDataAndDimensions(make([]float32, prod(dims)), dims...))
		}
	}
	n.set(opt, "step", tensors.FromScalar(float32(0)))
}

// lossGraph builds the objective on a batch.
func (l *Learner) lossGraph(obj objective, x, y, w, old *Node) *Node {
	n := l.net
	g := x.Graph()
	logits, fs := n.forward(x)
	total := graph.ReduceAllSum(w)
	mean := func(perExample *Node) *Node {
		return graph.Div(graph.ReduceAllSum(graph.Mul(perExample, w)), graph.MaxScalar(total, float32(1)))
	}
	c := logits.Shape().Dim(1)
	z := logits
	if obj.CEFrom > 0 {
		z = graph.SliceAxis(logits, 1, graph.AxisRange(obj.CEFrom, c))
	}
	yy := graph.Sub(y, graph.Scalar(g, dtypes.Int32, obj.CEFrom))
	yy = graph.MaxScalar(yy, int32(0)) // padding rows carry label 0
	loss := graph.MulScalar(mean(crossEntropy(z, yy)), obj.CEWeight)
	if obj.KD > 0 && obj.Known > 0 {
		zo := graph.SliceAxis(logits, 1, graph.AxisRange(0, obj.Known))
		loss = graph.Add(loss, graph.MulScalar(mean(kdLoss(zo, old, obj.T)), obj.KD))
	}
	if obj.Aux > 0 {
		a := toFloat32(n.linear(fs[len(fs)-1], n.scope(ScopeAux)))
		known := graph.Scalar(g, dtypes.Int32, obj.Known)
		ay := graph.Where(graph.GreaterOrEqual(y, known), graph.AddScalar(graph.Sub(y, known), int32(1)), graph.ZerosLike(y))
		loss = graph.Add(loss, graph.MulScalar(mean(crossEntropy(a, ay)), obj.Aux))
	}
	if obj.EWC > 0 {
		loss = graph.Add(loss, graph.MulScalar(l.ewcPenalty(g), obj.EWC))
	}
	return loss
}

// crossEntropy is −log softmax(z)[y] per example: z [B, C], y int32 [B]
// (in [0, C)) -> [B].
func crossEntropy(z, y *Node) *Node {
	ls := graph.LogSoftmax(z, -1)
	return graph.Neg(graph.ReduceSum(graph.Mul(ls, graph.OneHot(y, z.Shape().Dim(1), z.DType())), -1))
}

// kdLoss is −Σ_c softmax(old/T)_c · log softmax(z/T)_c per example: z,
// old [B, K] -> [B].
func kdLoss(z, old *Node, t float64) *Node {
	p := graph.Softmax(graph.MulScalar(old, 1/t), -1)
	return graph.Neg(graph.ReduceSum(graph.Mul(p, graph.LogSoftmax(graph.MulScalar(z, 1/t), -1)), -1))
}

// update adds the optimizer's step to the graph for the variables vs with
// gradients grads.
func (l *Learner) update(g *graph.Graph, vs []*model.Variable, grads []*Node) {
	n, o := l.net, l.opts
	opt := n.scope(scopeOpt)
	stepVar := variable(opt, "step")
	step := graph.AddScalar(stepVar.NodeValue(g), float32(1))
	stepVar.SetNodeValue(step)
	for i, v := range vs {
		theta := v.NodeValue(g)
		grad := grads[i]
		if o.WeightDecay > 0 {
			grad = graph.Add(grad, graph.MulScalar(theta, o.WeightDecay))
		}
		grad = l.l2Init(g, v, theta, grad)
		mv := variable(n.mirror(opt.At("m"), v), v.Name())
		switch o.Optimizer {
		case Adam:
			const b1, b2, eps = 0.9, 0.999, 1e-8
			vv := variable(n.mirror(opt.At("v"), v), v.Name())
			m := graph.Add(graph.MulScalar(mv.NodeValue(g), b1), graph.MulScalar(grad, 1-b1))
			s := graph.Add(graph.MulScalar(vv.NodeValue(g), b2), graph.MulScalar(graph.Square(grad), 1-b2))
			mv.SetNodeValue(m)
			vv.SetNodeValue(s)
			// lr·sqrt(1−b2^t)/(1−b1^t) · m / (sqrt(s) + eps·sqrt(1−b2^t)) equals PyTorch's
			// lr · m̂ / (sqrt(v̂) + eps).
			bc1 := graph.OneMinus(graph.Pow(float32Scalar(g, b1), step))
			bc2 := graph.Sqrt(graph.OneMinus(graph.Pow(float32Scalar(g, b2), step)))
			den := graph.Add(graph.Sqrt(s), graph.MulScalar(bc2, eps))
			lr := graph.MulScalar(graph.Div(bc2, bc1), o.LR)
			v.SetNodeValue(l.shrinkPerturb(g, graph.Sub(theta, graph.Mul(lr, graph.Div(m, den)))))
		default:
			m := graph.Add(graph.MulScalar(mv.NodeValue(g), o.Momentum), grad)
			mv.SetNodeValue(m)
			v.SetNodeValue(l.shrinkPerturb(g, graph.Sub(theta, graph.MulScalar(m, o.LR))))
		}
	}
}

// fit trains the variables under the trainable scopes on s for epochs
// epochs of minibatches (a fresh optimizer, as PyCIL makes one per task),
// shuffled by the learner's generator; the last batch of an epoch is
// padded with zero-weight rows so that one compiled graph serves all.
// Each batch is split over the net's devices (trainLayouts).
func (l *Learner) fit(s trainSet, obj objective, scopes []*model.Scope, epochs int) {
	n, o := l.net, l.opts
	if s.len() == 0 || epochs == 0 {
		return
	}
	trainable := vars(scopes...)
	l.optimizerVars(trainable)
	l.plasticVars(trainable)
	defer func() {
		if err := n.scope(scopeOpt).DeleteVariablesInScope(); err != nil {
			panicf("deleting the optimizer state: %v", err)
		}
		n.dropExecs()
	}()
	known := obj.Known
	kd := obj.KD > 0 && known > 0
	key := "train"
	for _, sc := range scopes {
		key += "|" + sc.Scope()
	}
	e := n.exec(key, trainLayouts, func(_ *model.Scope, in []*Node) []*Node {
		var old *Node
		if kd {
			old = in[3]
		}
		n.taps, n.tapping = nil, l.opts.Plasticity.CBP != nil
		loss := l.lossGraph(obj, in[0], in[1], in[2], old)
		acts := n.taps
		n.taps, n.tapping = nil, false
		l.utilities(loss.Graph(), acts, in[2])
		l.update(loss.Graph(), trainable, graph.Gradient(loss, nodes(loss.Graph(), trainable)...))
		return []*Node{loss}
	})
	b, dim := o.Batch, n.dim
	idx := make([]int, s.len())
	for i := range idx {
		idx[i] = i
	}
	// Host batch buffers, reused: the tensors below copy them.
	x, y, w := make([]float32, b*dim), make([]int32, b), make([]float32, b)
	var old []float32
	if kd {
		old = make([]float32, b*known)
	}
	for ep := range epochs {
		start := time.Now()
		l.rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		var lossSum float64
		steps := 0
		for at := 0; at < len(idx); at += b {
			m := min(b, len(idx)-at)
			if m < b { // the padded last batch: zero weights (and inputs) for the rows past m
				clear(x)
				clear(y)
				clear(w)
				clear(old)
			}
			for r := range m {
				i := idx[at+r]
				copy(x[r*dim:(r+1)*dim], s.X[i*dim:(i+1)*dim])
				y[r], w[r] = s.Y[i], 1
				if kd {
					copy(old[r*known:(r+1)*known], s.Old[i*known:(i+1)*known])
				}
			}
			args := []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, b, dim), tensors.FromFlatDataAndDimensions(y, b),
				tensors.FromFlatDataAndDimensions(w, b)}
			if kd {
				args = append(args, tensors.FromFlatDataAndDimensions(old, b, known))
			}
			out := n.call("training step", e, trainLayouts, args...)
			lossSum += float64(tensors.MustCopyFlatData[float32](out[0])[0])
			steps++
			l.afterStep()
		}
		info := EpochInfo{Task: l.tasks, Epoch: ep, Examples: s.len(), Steps: steps,
			Seconds: time.Since(start).Seconds(), Loss: lossSum / float64(steps)}
		l.Epochs = append(l.Epochs, info)
		if l.OnEpoch != nil {
			l.OnEpoch(info)
		}
	}
}

// fisher returns the diagonal empirical Fisher of the variables vs on d:
// the mean over minibatches of the squared gradient of the batch-mean
// cross-entropy over all classes (PyCIL's getFisherDiagonal, before its
// clamp), one slice per variable.
func (l *Learner) fisher(d *cil.Data, vs []*model.Variable) [][]float32 {
	n, b, dim := l.net, l.opts.Batch, l.net.dim
	e := n.exec("fisher", fisherLayouts, func(_ *model.Scope, in []*Node) []*Node {
		loss := l.lossGraph(objective{CEWeight: 1}, in[0], in[1], in[2], nil)
		grads := graph.Gradient(loss, nodes(loss.Graph(), vs)...)
		for i := range grads {
			grads[i] = graph.Square(grads[i])
		}
		return grads
	})
	sums := make([][]float32, len(vs))
	batches := 0
	rows := d.Len()
	for at := 0; at < rows; at += b {
		m := min(b, rows-at)
		x, y, w := make([]float32, b*dim), make([]int32, b), make([]float32, b)
		copy(x, d.X[at*dim:(at+m)*dim])
		copy(y, d.Y[at:at+m])
		for r := range m {
			w[r] = 1
		}
		out := n.call("Fisher", e, fisherLayouts, tensors.FromFlatDataAndDimensions(x, b, dim), tensors.FromFlatDataAndDimensions(y, b),
			tensors.FromFlatDataAndDimensions(w, b))
		for i, t := range out {
			v := tensors.MustCopyFlatData[float32](t)
			if sums[i] == nil {
				sums[i] = make([]float32, len(v))
			}
			for j := range v {
				sums[i][j] += v[j]
			}
		}
		batches++
	}
	for _, s := range sums {
		for j := range s {
			s[j] /= float32(batches)
		}
	}
	return sums
}

// ewcPenalty is Σ_i F_i (θ_i − θ*_i)² / 2 over the parameters that have a
// Fisher (/ewc/fisher<path>) and an anchor (/ewc/mean<path>); a parameter
// that grew since (the head) is compared on its old block.
func (l *Learner) ewcPenalty(g *graph.Graph) *Node {
	n := l.net
	total := float32Scalar(g, 0)
	root, fishers, means := n.store.RootScope(), n.scope(scopeEWC).At("fisher"), n.scope(scopeEWC).At("mean")
	for _, fv := range vars(fishers) {
		f := fv.NodeValue(g)
		mean := param(g, rebase(fv, fishers, means), fv.Name())
		theta := param(g, rebase(fv, fishers, root), fv.Name())
		fd, td := f.Shape().Dimensions, theta.Shape().Dimensions
		if !slices.Equal(fd, td) {
			specs := make([]graph.SliceAxisSpec, len(fd))
			for a := range fd {
				specs[a] = graph.AxisRange(0, fd[a])
			}
			theta = graph.Slice(theta, specs...)
		}
		d := graph.Sub(theta, mean)
		total = graph.Add(total, graph.ReduceAllSum(graph.Mul(f, graph.Mul(d, d))))
	}
	return graph.MulScalar(total, 0.5)
}

// nodes returns the values of vs in g.
func nodes(g *graph.Graph, vs []*model.Variable) []*Node {
	out := make([]*Node, len(vs))
	for i, v := range vs {
		out[i] = v.NodeValue(g)
	}
	return out
}
