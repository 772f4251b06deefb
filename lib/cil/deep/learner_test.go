package deep

import (
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	be := testBackend(t)
	train, test := blobs(6, 16, 100, 0.8, 1)
	tasks := split(train, test, 2)
	for _, m := range Methods {
		start := time.Now()
		l, err := New(be, m, Options{Hidden: 32, Epochs: 10, Batch: 32, LR: 1e-2, Memory: 60, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			if err := l.Learn(task); err != nil {
				t.Fatalf("%s: %v", m, err)
			}
		}
		last := tasks[len(tasks)-1]
		t.Logf("%-8s all %.2f old %.2f new %.2f  mem %+v  %.1fs", m, accuracy(t, l, last.Test, 0, 6), accuracy(t, l, last.Test, 0, 4),
			accuracy(t, l, last.Test, 4, 6), l.Memory(), time.Since(start).Seconds())
	}
}
