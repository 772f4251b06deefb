package cil

import (
	"math"
	"testing"
)

func TestMemoryAlignment(t *testing.T) {
	resnet32 := Memory{Parameters: ParamBytes(463_504)}
	if mb := resnet32.MB(); math.Abs(mb-1.77) > 0.005 {
		t.Errorf("ResNet32: %.3f MB, want 1.77", mb)
	}
	if n := ExemplarsIn(resnet32.Total(), 32*32*3); n != 603 {
		t.Errorf("ResNet32 = %d CIFAR exemplars, want 603", n)
	}
	// Replay with 2000 CIFAR exemplars and one ResNet32, aligned to DER after
	// 10 tasks (10 ResNet32s + 2000 exemplars): it may add 9 models' worth.
	replay := Memory{Exemplars: 2000 * 3072, Parameters: resnet32.Parameters}
	der := Memory{Exemplars: 2000 * 3072, Parameters: 10 * resnet32.Parameters}
	tests := []struct {
		name   string
		target int64
		m      Memory
		want   int
	}{
		{"der", der.Total(), replay, 9 * 1_854_016 / 3072},
		{"equal", replay.Total(), replay, 0},
		{"below", replay.Total() - 1, replay, 0},
		{"one short", replay.Total() + 3071, replay, 0},
		{"one", replay.Total() + 3072, replay, 1},
	}
	for _, tc := range tests {
		if got := TopUp(tc.target, tc.m, 3072); got != tc.want {
			t.Errorf("%s: TopUp = %d, want %d", tc.name, got, tc.want)
		}
	}
	if s := replay.Add(der); s.Exemplars != 2*2000*3072 || s.Parameters != 11*resnet32.Parameters || s.Other != 0 {
		t.Errorf("Add = %+v", s)
	}
}
