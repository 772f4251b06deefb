package cil

// PyCILSeed is the seed of PyCIL's class orders (np.random.seed(1993)).
const PyCILSeed = 1993

// PyCILOrder returns the class order PyCIL uses for a dataset of classes
// classes with its default shuffle: np.random.seed(seed);
// np.random.permutation(classes), reproduced bit for bit (numpy's legacy
// MT19937 seeding and shuffle), so that class-incremental splits match the
// papers' (seed [PyCILSeed] = 1993 for the survey's tables).
func PyCILOrder(classes int, seed uint32) []int {
	mt := newMT19937(seed)
	order := seq(classes)
	for i := classes - 1; i > 0; i-- {
		j := mt.interval(uint32(i))
		order[i], order[j] = order[j], order[i]
	}
	return order
}

// mt19937 is the Mersenne Twister of numpy's legacy RandomState.
type mt19937 struct {
	state [624]uint32
	pos   int
}

// newMT19937 seeds like numpy's RandomState(seed) for an integer seed (init_genrand).
func newMT19937(seed uint32) *mt19937 {
	m := &mt19937{pos: 624}
	m.state[0] = seed
	for i := 1; i < 624; i++ {
		prev := m.state[i-1]
		m.state[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	return m
}

// next returns the next 32-bit output.
func (m *mt19937) next() uint32 {
	if m.pos >= 624 {
		const upper, lower = 0x80000000, 0x7fffffff
		for i := range 624 {
			y := m.state[i]&upper | m.state[(i+1)%624]&lower
			v := m.state[(i+397)%624] ^ (y >> 1)
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			m.state[i] = v
		}
		m.pos = 0
	}
	y := m.state[m.pos]
	m.pos++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// interval returns a uniform integer in [0, max] by masked rejection, as
// numpy's legacy random_interval does for max < 2^32.
func (m *mt19937) interval(max uint32) uint32 {
	if max == 0 {
		return 0
	}
	mask := max
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	for {
		if v := m.next() & mask; v <= max {
			return v
		}
	}
}
