package npy_test

import (
	"bytes"
	"fmt"

	"github.com/labnotes/labnotes/lib/npy"
)

func Example() {
	var buf bytes.Buffer
	npy.WriteUint8(&buf, []int{2, 3}, []uint8{1, 2, 3, 4, 5, 6})
	a, err := npy.Read(&buf, "example.npy")
	fmt.Println(a.Descr, a.Shape, a.Row(1), err)
	_, err = npy.Read(bytes.NewReader([]byte("not npy")), "bad.npy")
	fmt.Println(err)
	// Output:
	// |u1 [2 3] [4 5 6] <nil>
	// bad.npy: byte 7: truncated: 7 bytes, want a 8-byte .npy preamble
}
