package cil

import (
	"fmt"
	"sort"
)

// KNN is the k-nearest-neighbour classifier: it stores the features of every
// training example and predicts the majority class of the K closest
// (Euclidean; ties go to the class of the closest among the tied). It is
// order-invariant and never forgets, at the cost of memory growing with the
// stream.
type KNN struct {
	K int // neighbours; 0 means 1.
	// Features is applied to every example first; nil means the raw inputs.
	Features Extractor
	// FeatureParams is the number of parameters of Features (Memory.Parameters, 4 bytes each).
	FeatureParams int64

	f      []float32 // [n, dim] stored features.
	y      []int32
	dim    int
	bytes  int64 // stored bytes: ExampleBytes each for raw inputs, 4*dim for features.
	labels int   // classes seen.
}

// Name is "kNN".
func (m *KNN) Name() string { return "kNN" }

// Learn stores the (featurized) examples of task.Train.
func (m *KNN) Learn(task Task) error {
	f, dim, err := extract(m.Features, task.Train)
	if err != nil {
		return err
	}
	if m.dim != 0 && dim != m.dim {
		return fmt.Errorf("cil: kNN: features of width %d, earlier tasks had %d", dim, m.dim)
	}
	m.dim = dim
	m.f = append(m.f, f...)
	m.y = append(m.y, task.Train.Y...)
	if m.Features == nil {
		m.bytes += task.Train.Bytes()
	} else {
		m.bytes += int64(task.Train.Len()) * int64(4*dim)
	}
	m.labels = task.Seen()
	return nil
}

// Predict returns the majority class of the K nearest stored examples.
func (m *KNN) Predict(x *Data) ([]int32, error) {
	if len(m.y) == 0 {
		return nil, fmt.Errorf("cil: kNN: Predict before any Learn")
	}
	f, dim, err := extract(m.Features, x)
	if err != nil {
		return nil, err
	}
	if dim != m.dim {
		return nil, fmt.Errorf("cil: kNN: features of width %d, learned %d", dim, m.dim)
	}
	k := max(m.K, 1)
	k = min(k, len(m.y))
	type hit struct {
		d float64
		i int
	}
	out := make([]int32, x.Len())
	votes := make([]int, m.labels)
	best := make([]hit, 0, k+1)
	for i := range out {
		q := f[i*dim : (i+1)*dim]
		best = best[:0]
		for s := range m.y {
			var d float64
			for j, v := range m.f[s*dim : (s+1)*dim] {
				e := float64(q[j] - v)
				d += e * e
			}
			if len(best) == k && d >= best[k-1].d {
				continue
			}
			at := sort.Search(len(best), func(a int) bool { return best[a].d > d })
			best = append(best, hit{})
			copy(best[at+1:], best[at:])
			best[at] = hit{d, s}
			if len(best) > k {
				best = best[:k]
			}
		}
		clear(votes)
		top, topVotes := int32(-1), 0
		for _, h := range best {
			votes[m.y[h.i]]++
		}
		for _, h := range best { // in distance order: ties go to the closest.
			if c := m.y[h.i]; votes[c] > topVotes {
				top, topVotes = c, votes[c]
			}
		}
		out[i] = top
	}
	return out, nil
}

// Memory counts the stored examples as Exemplars (raw size) or, with
// Features, their features as Other (4 bytes per value).
func (m *KNN) Memory() Memory {
	mem := Memory{Parameters: 4 * m.FeatureParams}
	if m.Features == nil {
		mem.Exemplars = m.bytes
	} else {
		mem.Other = m.bytes
	}
	return mem
}
