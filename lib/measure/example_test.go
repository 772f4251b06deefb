package measure_test

import (
	"fmt"
	"runtime"

	"github.com/labnotes/labnotes/lib/measure"
)

func Example() {
	p := measure.StartPeak()
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = 1 // touch every page
	}
	fmt.Println(p.GrowthMB() >= 60)
	runtime.KeepAlive(buf)
	// Output: true
}
