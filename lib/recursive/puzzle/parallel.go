package puzzle

import (
	"runtime"
	"sync"
)

// ParallelN computes fn(0), ..., fn(n-1) on workers goroutines (0: GOMAXPROCS) and returns
// the results in index order, so the output does not depend on the number of workers; the
// error is the first (by index) that fn returned.
func ParallelN[T any](n, workers int, fn func(i int) (T, error)) ([]T, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([]T, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for range workers {
		wg.Go(func() {
			for i := range next {
				out[i], errs[i] = fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
