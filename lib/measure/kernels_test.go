package measure

import (
	"math"
	"strings"
	"testing"
)

const ncuCSV = `==PROF== Connected to process 41 (/tmp/benchrecursive)
"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size","Device","CC","Section Name","Metric Name","Metric Unit","Metric Value"
"0","41","benchrecursive","127.0.0.1","gemm_fusion_dot_12","1","7","(128, 1, 1)","(96, 1, 1)","0","9.0","Command line profiler metrics","gpu__time_duration.sum","usecond","1.50"
"1","41","benchrecursive","127.0.0.1","loop_multiply_fusion_3","1","7","(128, 1, 1)","(96, 1, 1)","0","9.0","Command line profiler metrics","gpu__time_duration.sum","nsecond","500"
"2","41","benchrecursive","127.0.0.1","gemm_fusion_dot_12","1","7","(128, 1, 1)","(96, 1, 1)","0","9.0","Command line profiler metrics","gpu__time_duration.sum","usecond","2.50"
"2","41","benchrecursive","127.0.0.1","gemm_fusion_dot_12","1","7","(128, 1, 1)","(96, 1, 1)","0","9.0","Command line profiler metrics","sm__cycles_elapsed.avg","cycle","1,000"
"3","41","benchrecursive","127.0.0.1","input_reduce_fusion_1","1","7","(128, 1, 1)","(96, 1, 1)","0","9.0","Command line profiler metrics","gpu__time_duration.sum","msecond","0.001"
`

func TestParseNCU(t *testing.T) {
	ls, err := ParseNCU(strings.NewReader(ncuCSV))
	if err != nil {
		t.Fatal(err)
	}
	want := []Launch{{"gemm_fusion_dot_12", 1500}, {"loop_multiply_fusion_3", 500}, {"gemm_fusion_dot_12", 2500}, {"input_reduce_fusion_1", 1000}}
	if len(ls) != len(want) {
		t.Fatalf("%d launches %v, want %v", len(ls), ls, want)
	}
	for i := range want {
		if ls[i].Name != want[i].Name || math.Abs(ls[i].DurationNS-want[i].DurationNS) > 1e-9 {
			t.Errorf("launch %d = %+v, want %+v", i, ls[i], want[i])
		}
	}
	s := SummarizeKernels(ls, 2, 2)
	if s.Launches != 4 || math.Abs(s.TotalMS-0.0055) > 1e-12 || math.Abs(s.PerStepMS-0.00275) > 1e-12 {
		t.Errorf("summary %d launches, %g ms, %g ms a step; want 4, 0.0055, 0.00275", s.Launches, s.TotalMS, s.PerStepMS)
	}
	if c := s.Categories[0]; c.Name != "matmul" || c.Launches != 2 || math.Abs(c.Share-4.0/5.5) > 1e-12 {
		t.Errorf("first category %+v, want matmul: 2 launches, share 4/5.5", c)
	}
	if len(s.Top) != 2 || s.Top[0].Name != "gemm_fusion_dot_12" || s.Top[0].Category != "matmul" || s.Top[1].Name != "input_reduce_fusion_1" {
		t.Errorf("top kernels %+v", s.Top)
	}
}

func TestParseNCUErrors(t *testing.T) {
	header := `"Kernel Name","Metric Name","Metric Unit","Metric Value"` + "\n"
	for _, tc := range []struct{ in, want string }{
		{"no csv here\n", "no header"},
		{header + `"k","gpu__time_duration.sum","furlong","1"` + "\n", `line 2: unknown duration unit "furlong"`},
		{header + `"k","gpu__time_duration.sum","nsecond","n/a"` + "\n", `line 2: duration "n/a" is not a number`},
	} {
		if _, err := ParseNCU(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "measure: ") {
			t.Errorf("ParseNCU(%q) error %v, want one containing %q", tc.in, err, tc.want)
		}
	}
}

func TestKernelCategory(t *testing.T) {
	for name, want := range map[string]string{
		"gemm_fusion_dot_12":                          "matmul",
		"nvjet_hsh_128x256_64x4_2x1_v_bz_coopB_NNN":   "matmul",
		"sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n":    "matmul",
		"cudnn_generated_fort_native_sdpa_sm90_flash": "attention",
		"input_reduce_fusion_4":                       "reduction",
		"loop_transpose_fusion_2":                     "transpose/copy",
		"wrapped_concatenate":                         "transpose/copy",
		"loop_gather_fusion":                          "gather/scatter",
		"loop_multiply_fusion_31":                     "elementwise fusion",
		"fusion_118":                                  "elementwise fusion",
		"redzone_checker":                             "other",
		"triton_tem_fused_addmm_0":                    "matmul",
		"aten::mm":                                    "matmul",
		"triton_red_fused__to_copy_add_mean_pow_1":    "reduction",
		"triton_poi_fused_mul_silu_2":                 "elementwise fusion",
	} {
		if got := KernelCategory(name); got != want {
			t.Errorf("KernelCategory(%q) = %q, want %q", name, got, want)
		}
	}
}
