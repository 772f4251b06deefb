"""Jupyter's own kernel conformance suite (Debian's python3-jupyter-kernel-test) against the
installed "labnotes" kernel: kernel_info, streams, errors, completion, inspection, display data.

Run with /usr/bin/python3 -m unittest kernel/jupytertest/test_kernel.py (make test-kernel).
GoNB v0.11.5 ignores is_complete_request; kernel/gonbpatch makes it answer (test_is_complete).
"""
import unittest

import jupyter_kernel_test as jkt

# The suite waits 15 s (its module-level TIMEOUT) for a reply; on 2 loaded cores a cell's Go build or
# gopls' first hover can take longer (seen: test_inspect timing out while notebooks ran beside it).
jkt.TIMEOUT = 120


class LabnotesKernelTests(jkt.KernelTests):
    kernel_name = "labnotes"
    language_name = "go"
    file_extension = ".go"

    # Startup compiles nothing, but the first cell compiles a Go program: allow time.
    timeout = 120

    # In GoNB a cell holds declarations; "%%" starts the body of main().
    code_hello_world = '%%\nfmt.Println("hello, world")'
    code_stderr = '%%\nfmt.Fprintln(os.Stderr, "error")'
    # A compile error: the reply must have status "error" with ename/evalue/traceback.
    code_generate_error = "%%\nundefinedThing()"
    code_inspect_sample = "fmt.Println"
    # Completion goes through gopls (started with the kernel; ~17 s before its first answer on 2 cores).
    # The matches replace the text from cursor_start, just after "fmt.".
    completion_samples = [
        {"text": "%%\nfmt.Pri", "matches": {"Print", "Printf", "Println"}},
        {"text": 'import "strings"\nfunc f() { strings.ToU', "matches": {"ToUpper", "ToUpperSpecial", "ToValidUTF8"}},
    ]
    code_display_data = [
        {"code": '%%\ngonbui.DisplayHTML("<b>labnotes</b>")', "mime": "text/html"},
    ]

    # is_complete_request (jupyter console asks it on Enter): kernel/gonbpatch's answer.
    complete_code_samples = ['%%\nfmt.Println("hi")', "func f() {\n\treturn\n}", "%%\n!ls {"]
    incomplete_code_samples = ["func f() {", "x := []int{\n\t1,", "s := `raw"]
    invalid_code_samples = ["}", 's := "cut\nx := 1']

    def execute_helper(self, code, timeout=jkt.TIMEOUT, **kwargs):
        # The suite's default timeout was bound to 15 s when it was defined.
        return super().execute_helper(code, timeout=timeout, **kwargs)


if __name__ == "__main__":
    unittest.main()
