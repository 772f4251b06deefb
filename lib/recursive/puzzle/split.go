package puzzle

import (
	"math/rand/v2"
	"slices"
)

// SplitGroups splits items 0..len(keys)-1 into train and test so that items
// with the same key (e.g. the same canonical form under a puzzle family's
// symmetries) land on the same side: whole groups, in a seeded random order,
// go to test until it holds at least testFraction of the items. Both
// results are sorted.
func SplitGroups(keys []string, testFraction float64, seed uint64) (train, test []int) {
	groups := map[string][]int{}
	var order []string
	for i, k := range keys {
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	want := int(testFraction*float64(len(keys)) + 0.5)
	for _, k := range order {
		if len(test) < want {
			test = append(test, groups[k]...)
		} else {
			train = append(train, groups[k]...)
		}
	}
	slices.Sort(train)
	slices.Sort(test)
	return train, test
}

// Leaks returns the keys found on both sides of a split: empty for a
// leak-free split.
func Leaks(trainKeys, testKeys []string) []string {
	seen := map[string]bool{}
	for _, k := range trainKeys {
		seen[k] = true
	}
	var out []string
	dup := map[string]bool{}
	for _, k := range testKeys {
		if seen[k] && !dup[k] {
			out = append(out, k)
			dup[k] = true
		}
	}
	return out
}
