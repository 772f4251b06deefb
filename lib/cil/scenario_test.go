package cil

import (
	"slices"
	"strings"
	"testing"
)

func TestScenarioBounds(t *testing.T) {
	tests := []struct {
		classes, init, inc int
		want               [][2]int
	}{
		{6, 2, 2, [][2]int{{0, 2}, {2, 4}, {4, 6}}},
		{7, 3, 2, [][2]int{{0, 3}, {3, 5}, {5, 7}}},
		{8, 3, 2, [][2]int{{0, 3}, {3, 5}, {5, 7}, {7, 8}}},
		{5, 5, 1, [][2]int{{0, 5}}},
		{4, 1, 1, [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 4}}},
	}
	for _, tc := range tests {
		train, test := Synthetic(tc.classes, 2, 3, 2, 1)
		s, err := NewScenario(train, test, tc.init, tc.inc, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got [][2]int
		for i := range s.Len() {
			lo, hi := s.TaskClasses(i)
			got = append(got, [2]int{lo, hi})
			for c := lo; c < hi; c++ {
				if s.TaskOf(c) != i {
					t.Errorf("%v: TaskOf(%d) = %d, want %d", tc, c, s.TaskOf(c), i)
				}
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("classes %d init %d inc %d: tasks %v, want %v", tc.classes, tc.init, tc.inc, got, tc.want)
		}
	}
}

func TestScenarioTasks(t *testing.T) {
	train, test := Synthetic(6, 3, 10, 4, 2)
	order := []int{5, 3, 1, 0, 2, 4}
	s, err := NewScenario(train, test, 2, 2, order)
	if err != nil {
		t.Fatal(err)
	}
	// key maps an example's features to its original label.
	key := map[float32]int32{}
	for _, d := range []*Data{train, test} {
		for i, y := range d.Y {
			key[d.Row(i)[0]] = y
		}
	}
	for i, task := range s.Tasks() {
		if task.Index != i || task.Known != 2*i || task.New != 2 || task.Seen() != 2*i+2 {
			t.Errorf("task %d: Index %d Known %d New %d", i, task.Index, task.Known, task.New)
		}
		if task.Train.Len() != 20 || task.Test.Len() != 8*(i+1) {
			t.Errorf("task %d: %d train and %d test examples, want 20 and %d", i, task.Train.Len(), task.Test.Len(), 8*(i+1))
		}
		for _, c := range []struct {
			d      *Data
			lo, hi int32
		}{{task.Train, int32(2 * i), int32(2*i + 2)}, {task.Test, 0, int32(2*i + 2)}} {
			for j, y := range c.d.Y {
				if y < c.lo || y >= c.hi {
					t.Fatalf("task %d: label %d outside [%d, %d)", i, y, c.lo, c.hi)
				}
				if orig := key[c.d.Row(j)[0]]; int(orig) != order[y] {
					t.Fatalf("task %d: example of original class %d renumbered %d, want position of %d in %v", i, orig, y, orig, order)
				}
			}
		}
	}
	if !slices.Equal(s.Order(), order) || s.Classes() != 6 {
		t.Errorf("Order %v Classes %d", s.Order(), s.Classes())
	}
}

func TestScenarioErrors(t *testing.T) {
	train, test := Synthetic(4, 2, 3, 2, 1)
	other, _ := Synthetic(4, 3, 3, 2, 1)
	tests := []struct {
		name        string
		train, test *Data
		init, inc   int
		order       []int
		want        string
	}{
		{"init zero", train, test, 0, 1, nil, "init 0 and increment 1 must be > 0"},
		{"init too big", train, test, 5, 1, nil, "init 5 is more than the 4 classes"},
		{"short order", train, test, 2, 2, []int{0, 1, 2}, "order has 3 classes, the data has 4"},
		{"repeat", train, test, 2, 2, []int{0, 1, 1, 3}, "not a permutation of 0..3 (entry 2 = 1)"},
		{"dims", train, other, 2, 2, nil, "train has Dim 2, test 3"},
		{"broken", &Data{X: []float32{1}, Y: []int32{0, 1}, Dim: 1}, test, 2, 2, nil, "1 features for 2 labels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewScenario(tc.train, tc.test, tc.init, tc.inc, tc.order)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestShuffledOrder(t *testing.T) {
	a, b := ShuffledOrder(100, 1993), ShuffledOrder(100, 1993)
	if !slices.Equal(a, b) {
		t.Error("same seed, different orders")
	}
	if slices.Equal(a, ShuffledOrder(100, 1)) {
		t.Error("different seeds, same order")
	}
	s := slices.Clone(a)
	slices.Sort(s)
	if !slices.Equal(s, seq(100)) {
		t.Errorf("ShuffledOrder is not a permutation: %v", a)
	}
}

func TestSortByClass(t *testing.T) {
	d := labelled(2, 0, 1, 0, 2)
	s := SortByClass(d)
	if !slices.Equal(s.Y, []int32{0, 0, 1, 2, 2}) || !slices.Equal(s.X, []float32{1, 3, 2, 0, 4}) {
		t.Errorf("SortByClass: Y %v X %v", s.Y, s.X)
	}
}

func TestConcatSubset(t *testing.T) {
	a, b := labelled(0, 1), labelled(2)
	c := Concat(nil, a, &Data{Dim: 1}, b)
	if !slices.Equal(c.Y, []int32{0, 1, 2}) || !slices.Equal(c.X, []float32{0, 1, 0}) || c.ExampleBytes != 3 {
		t.Errorf("Concat = %+v", c)
	}
	if Concat(nil, &Data{Dim: 1}) != nil {
		t.Error("Concat of empty parts is not nil")
	}
	s := c.Subset([]int{2, 0, 2})
	if !slices.Equal(s.Y, []int32{2, 0, 2}) || s.Len() != 3 || s.Bytes() != 9 {
		t.Errorf("Subset = %+v", s)
	}
	s.X[0] = 9
	if c.X[2] == 9 {
		t.Error("Subset shares memory with its source")
	}
}
