package plastic

import (
	"fmt"

	"github.com/labnotes/labnotes/lib/cil"
)

// Stats are the plasticity measures of a network on a probe set
// (Dohare et al. measure them on 2000 examples of the current task).
type Stats struct {
	// Dormant is the fraction of all hidden units active (> 0) on fewer
	// than 1% of the probe examples (cil.Dormant with cil.DormantFraction).
	Dormant float64 `json:"dormant"`
	// DormantByLayer is that fraction per hidden layer.
	DormantByLayer []float64 `json:"dormant_by_layer"`
	// StableRank is cil.StableRank of the last hidden layer's activations
	// [probe, units]: the singular values needed for 99% of their sum.
	StableRank int `json:"stable_rank"`
	// WeightMag is the mean |w| over every weight (biases excluded).
	WeightMag float64 `json:"weight_mag"`
}

// Measure computes the Stats of o's network on probe ([n, Inputs]).
func Measure(o *Online, probe []float32) (Stats, error) {
	_, hidden, err := o.Forward(probe)
	if err != nil {
		return Stats{}, err
	}
	return MeasureActs(hidden, o.sizes[1:len(o.sizes)-1], o.Net()), nil
}

// MeasureActs computes the Stats from the hidden activations (after the
// ReLUs, [n, units[l]] each) and the network's weights: the form deep
// learners call with their own activations.
func MeasureActs(hidden [][]float32, units []int, net *Net) Stats {
	if len(hidden) != len(units) || len(hidden) == 0 {
		panic(fmt.Sprintf("plastic: MeasureActs of %d activation sets for %d layers", len(hidden), len(units)))
	}
	var s Stats
	total, dormant := 0, 0.0
	for l, a := range hidden {
		n := len(a) / units[l]
		d := cil.Dormant(a, n, units[l], cil.DormantFraction)
		s.DormantByLayer = append(s.DormantByLayer, d)
		dormant += d * float64(units[l])
		total += units[l]
	}
	s.Dormant = dormant / float64(total)
	last := hidden[len(hidden)-1]
	u := units[len(units)-1]
	s.StableRank = cil.StableRank(cil.SingularValues(last, len(last)/u, u))
	if net != nil {
		s.WeightMag = net.MeanAbsWeight()
	}
	return s
}
