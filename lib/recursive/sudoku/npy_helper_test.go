package sudoku

import (
	"io"

	"github.com/labnotes/labnotes/lib/npy"
)

func npyWrite(w io.Writer, shape []int, data []uint8) error { return npy.WriteUint8(w, shape, data) }
