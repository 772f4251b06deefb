package plastic

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Layer is one dense layer of a ReLU MLP on the host: y = x·W + B, W
// [In, Out] row-major (column u holds the input weights of output unit u,
// row i of the next layer's W its outgoing weights).
type Layer struct {
	In, Out int
	W       []float32 // [In, Out]
	B       []float32 // [Out]
}

// Net is a ReLU MLP: Layers[0..L-2] are hidden layers followed by a ReLU,
// Layers[L-1] is the linear output layer (the head).
type Net struct {
	Layers []Layer
}

// Bound is the half-width of the uniform initializer of a layer with fanIn
// inputs: Kaiming-uniform sqrt(6/fanIn) for a layer followed by a ReLU
// (hidden), sqrt(3/fanIn) for the linear head — the distribution continual
// backprop redraws replaced units' input weights from (Dohare et al.'s
// "kaiming" bound).
func Bound(fanIn int, hidden bool) float64 {
	if hidden {
		return math.Sqrt(6 / float64(fanIn))
	}
	return math.Sqrt(3 / float64(fanIn))
}

// NewNet draws an MLP of the given layer sizes ([784, 100, 100, 10]: two
// hidden layers of 100 units): weights U(±Bound), biases zero.
func NewNet(sizes []int, seed uint64) (*Net, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("plastic: NewNet: sizes %v, want at least [inputs, outputs]", sizes)
	}
	for _, s := range sizes {
		if s <= 0 {
			return nil, fmt.Errorf("plastic: NewNet: sizes %v, want all > 0", sizes)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x9a57))
	n := &Net{}
	for l := range len(sizes) - 1 {
		in, out := sizes[l], sizes[l+1]
		ly := Layer{In: in, Out: out, W: make([]float32, in*out), B: make([]float32, out)}
		b := Bound(in, l < len(sizes)-2)
		for i := range ly.W {
			ly.W[i] = float32((2*rng.Float64() - 1) * b)
		}
		n.Layers = append(n.Layers, ly)
	}
	return n, nil
}

// Sizes returns the layer sizes, inputs first.
func (n *Net) Sizes() []int {
	s := []int{n.Layers[0].In}
	for _, l := range n.Layers {
		s = append(s, l.Out)
	}
	return s
}

// Params is the number of weights and biases.
func (n *Net) Params() int {
	p := 0
	for _, l := range n.Layers {
		p += len(l.W) + len(l.B)
	}
	return p
}

// Clone returns a deep copy.
func (n *Net) Clone() *Net {
	c := &Net{Layers: slices.Clone(n.Layers)}
	for i := range c.Layers {
		c.Layers[i].W = slices.Clone(n.Layers[i].W)
		c.Layers[i].B = slices.Clone(n.Layers[i].B)
	}
	return c
}

// Forward computes the network on rows examples x ([rows, In], row-major)
// on the host, in float64 accumulation: the logits [rows, Out] and the
// activations after each hidden layer's ReLU ([rows, units] each). A
// reference for tests and small probes; learners run the same in a graph.
func (n *Net) Forward(x []float32, rows int) (logits []float32, hidden [][]float32) {
	if len(x) != rows*n.Layers[0].In {
		panic(fmt.Sprintf("plastic: Forward of %d values, want rows*In = %d*%d", len(x), rows, n.Layers[0].In))
	}
	a := x
	for li, l := range n.Layers {
		z := make([]float32, rows*l.Out)
		acc := make([]float64, l.Out)
		for r := range rows {
			for o := range acc {
				acc[o] = float64(l.B[o])
			}
			for i, v := range a[r*l.In : (r+1)*l.In] {
				if v == 0 {
					continue
				}
				for o, w := range l.W[i*l.Out : (i+1)*l.Out] {
					acc[o] += float64(v) * float64(w)
				}
			}
			for o, v := range acc {
				z[r*l.Out+o] = float32(v)
			}
		}
		if li == len(n.Layers)-1 {
			return z, hidden
		}
		for i, v := range z {
			z[i] = max(v, 0)
		}
		hidden = append(hidden, z)
		a = z
	}
	return nil, nil
}

// MeanAbsWeight is the mean |w| over every weight of the network (biases
// excluded): the weight magnitude that grows as plain backprop loses
// plasticity.
func (n *Net) MeanAbsWeight() float64 {
	var s float64
	c := 0
	for _, l := range n.Layers {
		for _, w := range l.W {
			s += math.Abs(float64(w))
		}
		c += len(l.W)
	}
	return s / float64(max(c, 1))
}
