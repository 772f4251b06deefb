package cil

import (
	"math"
	"runtime"
	"sort"
	"sync"
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
	ops    int64 // predict FLOPs.
}

// Name is "kNN".
func (m *KNN) Name() string { return "kNN" }

// Learn stores the (featurized) examples of task.Train.
func (m *KNN) Learn(task Task) error {
	f, dim, err := learnFeatures(m.Name(), m.Features, task.Train, &m.dim)
	if err != nil {
		return err
	}
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
	f, dim, err := predictFeatures(m.Name(), m.Features, x, len(m.y) > 0, m.dim)
	if err != nil {
		return nil, err
	}
	m.ops += int64(x.Len()) * int64(len(m.y)) * int64(3*dim)
	k := min(max(m.K, 1), len(m.y))
	out := make([]int32, x.Len())
	parallel(x.Len(), func(lo, hi int) {
		best := make([]hit, 0, k+1)
		votes := make([]int, m.labels)
		for i := lo; i < hi; i++ {
			out[i] = m.vote(f[i*dim:(i+1)*dim], k, best, votes)
		}
	})
	return out, nil
}

// Scores returns [N, classes]: minus the squared distance from each example
// of x to the nearest stored example of each class (-Inf for a class with
// none): 1-NN restricted to any subset of classes, as task-IL needs.
func (m *KNN) Scores(x *Data) ([]float32, int, error) {
	f, dim, err := predictFeatures(m.Name(), m.Features, x, len(m.y) > 0, m.dim)
	if err != nil {
		return nil, 0, err
	}
	m.ops += int64(x.Len()) * int64(len(m.y)) * int64(3*dim)
	k := m.labels
	out := make([]float32, x.Len()*k)
	parallel(x.Len(), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := out[i*k : (i+1)*k]
			for c := range row {
				row[c] = float32(math.Inf(-1))
			}
			q := f[i*dim : (i+1)*dim]
			for s, y := range m.y {
				if d := -sqDist(q, m.f[s*dim:(s+1)*dim]); d > row[y] {
					row[y] = d
				}
			}
		}
	})
	return out, k, nil
}

// FLOPs is 0 for learning (it stores) and a subtraction, multiply and add
// per feature and stored example to predict one example.
func (m *KNN) FLOPs() (learn, predict int64) { return 0, m.ops }

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

// hit is a stored example and its squared distance to a query.
type hit struct {
	d float32
	i int
}

// vote returns the majority class of the k stored examples nearest to q,
// using best and votes as scratch.
func (m *KNN) vote(q []float32, k int, best []hit, votes []int) int32 {
	dim := m.dim
	best = best[:0]
	for s := range m.y {
		d := sqDist(q, m.f[s*dim:(s+1)*dim])
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
	for _, h := range best {
		votes[m.y[h.i]]++
	}
	top, topVotes := int32(-1), 0
	for _, h := range best { // in distance order: ties go to the closest.
		if c := m.y[h.i]; votes[c] > topVotes {
			top, topVotes = c, votes[c]
		}
	}
	return top
}

// sqDist is the squared Euclidean distance of a and b (same length).
func sqDist(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		e0, e1, e2, e3 := a[i]-b[i], a[i+1]-b[i+1], a[i+2]-b[i+2], a[i+3]-b[i+3]
		s0 += e0 * e0
		s1 += e1 * e1
		s2 += e2 * e2
		s3 += e3 * e3
	}
	for ; i < len(a); i++ {
		e := a[i] - b[i]
		s0 += e * e
	}
	return (s0 + s1) + (s2 + s3)
}

// parallel runs fn on [0, n) cut into one contiguous range per CPU.
func parallel(n int, fn func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(p*n/w, (p+1)*n/w)
		}()
	}
	wg.Wait()
}
