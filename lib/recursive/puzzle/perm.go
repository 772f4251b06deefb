package puzzle

import "math/bits"

// Perm is a pseudorandom permutation of 0..N-1 computed on the fly (a
// keyed Feistel network with cycle walking), so shuffling a million
// examples needs no index array.
type Perm struct {
	n        uint64
	halfBits uint
	mask     uint64
	keys     [4]uint64
}

// NewPerm returns the permutation of 0..n-1 keyed by seed.
func NewPerm(n uint64, seed uint64) Perm {
	p := Perm{n: n}
	b := uint(bits.Len64(max(n-1, 1)))
	b += b & 1
	p.halfBits = max(b/2, 1)
	p.mask = 1<<p.halfBits - 1
	s := seed
	for i := range p.keys {
		s = splitmix(s)
		p.keys[i] = s
	}
	return p
}

// Len is N.
func (p Perm) Len() uint64 { return p.n }

// At returns the image of i (0 <= i < N).
func (p Perm) At(i uint64) uint64 {
	for {
		i = p.round(i)
		if i < p.n {
			return i
		}
	}
}

func (p Perm) round(x uint64) uint64 {
	l, r := x>>p.halfBits, x&p.mask
	for _, k := range p.keys {
		l, r = r, l^(splitmix(r^k)&p.mask)
	}
	return l<<p.halfBits | r
}

// splitmix is SplitMix64's output function, a fast 64-bit mixer.
func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}

// Mix derives a 64-bit value from a seed and any number of indices; the
// streams use it to seed each example's random generator.
func Mix(seed uint64, xs ...uint64) uint64 {
	h := splitmix(seed)
	for _, x := range xs {
		h = splitmix(h ^ x)
	}
	return h
}
